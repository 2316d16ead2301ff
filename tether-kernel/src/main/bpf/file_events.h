/* File operation records: opens and namespace changes (see events.h for header and string flags). */
#ifndef TETHER_FILE_EVENTS_H
#define TETHER_FILE_EVENTS_H

#include "events.h"

/* Four string slots, each up to PATH_BYTES_MAX bytes and its NUL, plus room for bounded writes. */
#define FILE_STRINGS 4
#define FILE_DATA_MAX (FILE_STRINGS * (PATH_BYTES_MAX + 1) + PATH_BYTES_MAX)

enum file_op {
	FILE_OP_OPEN = 1,     /* open, openat, openat2, creat */
	FILE_OP_UNLINK = 2,   /* unlink, unlinkat */
	FILE_OP_RMDIR = 3,    /* rmdir, unlinkat(AT_REMOVEDIR) */
	FILE_OP_MKDIR = 4,    /* mkdir, mkdirat */
	FILE_OP_RENAME = 5,   /* rename, renameat, renameat2 */
	FILE_OP_LINK = 6,     /* link, linkat */
	FILE_OP_SYMLINK = 7,  /* symlink, symlinkat */
	FILE_OP_CHMOD = 8,    /* chmod, fchmod, fchmodat, fchmodat2 */
	FILE_OP_CHOWN = 9,    /* chown, lchown, fchown, fchownat (and the 16-bit ia32 ones) */
};

/*
 * String slots, in this order in data[], each len[i] bytes followed by a NUL:
 *   0  path: the raw path argument (absent for fchmod/fchown)
 *   1  path: resolved (STR_FROM_FILE: the opened file or the fd's file; STR_BASE: the directory a
 *      relative raw path starts from; absent when the raw path is absolute and nothing was opened)
 *   2  second path, raw: rename/link new path, symlink target text
 *   3  second path, resolved base (rename/link with a relative new path)
 */
struct file_event {
	struct event_header hdr;
	__s64 result;        /* the syscall's return value: fd or 0, or -errno */
	__u64 open_flags;    /* open(2) flags (openat2: how.flags); AT_* flags for the *at calls */
	__u32 mode;          /* creation mode (open, mkdir) or the new mode (chmod) */
	__u32 uid;           /* chown: new owner, (u32)-1 = unchanged */
	__u32 gid;
	__s32 dirfd;         /* dirfd of the path, AT_FDCWD (-100) for cwd; the fd for fchmod/fchown */
	__s32 dirfd2;        /* dirfd of the second path */
	__u16 op;            /* enum file_op */
	__u16 syscall_nr;    /* native number, or 1024 + the ia32 number for 32-bit callers */
	__u16 len[FILE_STRINGS];
	__u16 str_flags[FILE_STRINGS];
	__u32 reserved;
	char data[FILE_DATA_MAX];
};

#endif
