/*
 * Maps and records of the cgroup-BPF network guard, shared with
 * dev.tether.kernel.enforce.CgroupNetworkGuard (NetGuardLayouts).
 */
#ifndef TETHER_NET_GUARD_H
#define TETHER_NET_GUARD_H

#define NET_MAX_PREFIXES 16384
#define NET_MAX_RULES 32

enum net_effect { NET_PERMIT = 1, NET_FORBID = 2 };
enum net_transport { NET_ANY = 0, NET_TCP = 1, NET_UDP = 2 };
enum net_mode { NET_ENFORCE = 0, NET_SHADOW = 1, NET_PERMISSIVE = 2 };
enum net_verdict { NET_ALLOW = 1, NET_DENY = 2, NET_WOULD_DENY = 3, NET_PASS_TO_PROXY = 4 };
enum net_hook { NET_HOOK_CONNECT = 1, NET_HOOK_SENDMSG = 2, NET_HOOK_SOCK_CREATE = 3 };
#define NET_NO_POLICY 0xffff
#define NET_PIN_POLICY 0x8000   /* policy indices at or above this are in the pin table */
#define NET_MAX_PINS 8192

struct lpm_v4_key {
	__u32 prefixlen;
	__u8 addr[4];
};

struct lpm_v6_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/* One rule of the entry a destination's longest prefix selects (NetworkRules.Rule). */
struct net_rule {
	__u8 effect;      /* enum net_effect */
	__u8 transport;   /* enum net_transport */
	__u16 policy;     /* index into the generation's policy table, NET_NO_POLICY for tether's own */
	__u16 port_from;
	__u16 port_to;
};

struct net_rule_set {
	__u32 count;
	__u32 reserved;
	struct net_rule rules[NET_MAX_RULES];
};

struct net_config {
	__u32 active;          /* which of the two map sets is in force (0 or 1) */
	__u32 mode;            /* enum net_mode */
	__u32 proxy_ports;     /* 1: TCP 80/443 go to tether's proxy, which decides them by hostname */
	__u32 generation;      /* policy generation of the active set, echoed in events */
};

/* A decision, for the audit trail. */
struct net_decision_event {
	__u64 boot_ns;
	__u64 cgroup_id;
	__u32 pid;
	__u32 tid;
	__u32 generation;
	__u16 port;        /* host byte order */
	__u16 policy;      /* deciding rule's policy index, NET_NO_POLICY when none */
	__u8 family;       /* AF_INET / AF_INET6 (after unmapping v4-mapped v6) */
	__u8 transport;    /* enum net_transport */
	__u8 verdict;      /* enum net_verdict */
	__u8 hook;         /* enum net_hook */
	__u32 sock_type;   /* for sock_create refusals: type and family asked for */
	__u8 addr[16];
	char comm[16];
};

#endif
