/* Process lifecycle records: exec, fork, exit (see events.h for the header and string flags). */
#ifndef TETHER_PROCESS_EVENTS_H
#define TETHER_PROCESS_EVENTS_H

#include "events.h"

#define EXEC_FILENAME_MAX 4096
#define EXEC_ARGS_MAX 8192
/* filename + argv + resolved exe + resolved cwd, each bounded above */
#define EXEC_DATA_MAX (EXEC_FILENAME_MAX + EXEC_ARGS_MAX + 2 * PATH_BYTES_MAX + 4096)

enum exec_flags {
	EXEC_FILENAME_TRUNCATED = 1 << 0,
	EXEC_ARGS_TRUNCATED = 1 << 1,
	EXEC_ARGS_FAULT = 1 << 2,    /* the new image's argv could not be read */
};

struct exec_event {
	struct event_header hdr;
	__u32 flags;         /* enum exec_flags */
	__u32 argc;          /* the real argument count, even when argv is cut */
	__u32 gid;           /* real gid */
	__u32 euid;          /* effective ids after the exec (set-id programs) */
	__u32 egid;
	__u16 filename_len;  /* the path exec was called with, bytes without NUL */
	__u16 args_len;      /* argv bytes: NUL-separated, the last NUL included unless cut */
	__u16 exe_len;       /* resolved path of the executed file (components, leaf first) */
	__u16 exe_flags;     /* enum str_flags */
	__u16 cwd_len;       /* resolved working directory (components, leaf first) */
	__u16 cwd_flags;
	/* filename NUL, argv, exe NUL, cwd NUL; the record is cut to the bytes used */
	char data[EXEC_DATA_MAX];
};

/* A new process (thread group); new threads of an existing process are not reported. */
struct fork_event {
	struct event_header hdr;  /* the parent (the task that called fork/clone) */
	__u32 child_pid;
	__u32 child_tid;
};

/* The last thread of a process exited. */
struct exit_event {
	struct event_header hdr;
	__u32 exit_code;  /* wait(2) status: exit code << 8, or the signal | 0x80 if it dumped core */
	__u32 reserved;
};

#endif
