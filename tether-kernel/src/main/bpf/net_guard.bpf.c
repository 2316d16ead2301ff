// SPDX-License-Identifier: GPL-2.0
/*
 * NetworkConnect enforcement on the sandbox cgroup (programs are inherited by every descendant,
 * containers included): connect4/6 and sendmsg4/6 decide each destination from longest-prefix
 * maps compiled from the policy (NetworkRules), sock_create refuses raw and packet sockets.
 * Two map sets exist; user space fills the inactive one and flips net_config.active, so a reload
 * is one 4-byte write: a decision sees the old rules or the new ones, never a mix.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "net_guard.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_TYPE_MASK 0xf

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct net_config);
} net_config SEC(".maps");

#define LPM_MAP(name, keytype)                              \
	struct {                                            \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);        \
		__uint(max_entries, NET_MAX_PREFIXES);      \
		__uint(map_flags, BPF_F_NO_PREALLOC);       \
		__type(key, struct keytype);                \
		__type(value, __u32);                       \
	} name SEC(".maps")

#define SET_MAP(name)                                       \
	struct {                                            \
		__uint(type, BPF_MAP_TYPE_ARRAY);           \
		__uint(max_entries, NET_MAX_PREFIXES);      \
		__type(key, __u32);                         \
		__type(value, struct net_rule_set);         \
	} name SEC(".maps")

LPM_MAP(net_v4_0, lpm_v4_key);
LPM_MAP(net_v4_1, lpm_v4_key);
LPM_MAP(net_v6_0, lpm_v6_key);
LPM_MAP(net_v6_1, lpm_v6_key);
SET_MAP(net_sets_0);
SET_MAP(net_sets_1);

/*
 * DNS-aware pins: addresses the sandbox learnt from a name through tether's DNS server, each with
 * the complete rule list for that name at that address. They take precedence over the prefix
 * maps; user space adds and removes them one by one (their lifetime is the DNS answer's).
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAX_PINS);
	__type(key, __u32);
	__type(value, __u32);
} net_pin_v4 SEC(".maps");

struct net_v6_addr {
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NET_MAX_PINS);
	__type(key, struct net_v6_addr);
	__type(value, __u32);
} net_pin_v6 SEC(".maps");

SET_MAP(net_pin_sets);

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} guard_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} guard_events_lost SEC(".maps");

static __always_inline struct net_config *guard_config(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&net_config, &zero);
}

/*
 * Scans the rule set: a matching forbid denies, else a matching permit allows, else deny. One
 * bpf_loop step per rule: the callback is verified once, where an inlined loop was verified for
 * every rule slot and every map the set can come from (~60 ms per IPv6 program at each start).
 */
struct judge_walk {
	struct net_rule_set *set;
	__u16 port;
	__u16 policy;
	__u8 transport;
	__u8 verdict;
};

static long judge_step(__u64 i, void *data)
{
	struct judge_walk *w = data;
	struct net_rule_set *set = w->set;
	if (i >= NET_MAX_RULES || i >= set->count)
		return 1;
	struct net_rule *r = &set->rules[i];
	if (r->transport != NET_ANY && r->transport != w->transport)
		return 0;
	if (w->port < r->port_from || w->port > r->port_to)
		return 0;
	if (r->effect == NET_FORBID) {
		w->policy = r->policy;
		w->verdict = NET_DENY;
		return 1;
	}
	if (w->verdict != NET_ALLOW) {
		w->verdict = NET_ALLOW;
		w->policy = r->policy;
	}
	return 0;
}

static __always_inline __u8 judge(struct net_rule_set *set, __u16 port, __u8 transport, __u16 *policy)
{
	*policy = NET_NO_POLICY;
	if (!set)
		return NET_DENY;
	struct judge_walk w = { .set = set, .port = port, .policy = NET_NO_POLICY, .transport = transport, .verdict = NET_DENY };
	bpf_loop(NET_MAX_RULES, judge_step, &w, 0);
	*policy = w.policy;
	return w.verdict;
}

static __always_inline struct net_rule_set *lookup_v4(__u32 active, const __u8 *addr)
{
	__u32 ip;
	__builtin_memcpy(&ip, addr, 4);
	__u32 *pin = bpf_map_lookup_elem(&net_pin_v4, &ip);
	if (pin) {
		__u32 p = *pin;
		return bpf_map_lookup_elem(&net_pin_sets, &p);
	}
	struct lpm_v4_key key = { .prefixlen = 32 };
	__builtin_memcpy(key.addr, addr, 4);
	__u32 *idx = active ? bpf_map_lookup_elem(&net_v4_1, &key) : bpf_map_lookup_elem(&net_v4_0, &key);
	if (!idx)
		return NULL;
	__u32 i = *idx;
	return active ? bpf_map_lookup_elem(&net_sets_1, &i) : bpf_map_lookup_elem(&net_sets_0, &i);
}

static __always_inline struct net_rule_set *lookup_v6(__u32 active, const __u8 *addr)
{
	struct net_v6_addr a6;
	__builtin_memcpy(a6.addr, addr, 16);
	__u32 *pin = bpf_map_lookup_elem(&net_pin_v6, &a6);
	if (pin) {
		__u32 p = *pin;
		return bpf_map_lookup_elem(&net_pin_sets, &p);
	}
	struct lpm_v6_key key = { .prefixlen = 128 };
	__builtin_memcpy(key.addr, addr, 16);
	__u32 *idx = active ? bpf_map_lookup_elem(&net_v6_1, &key) : bpf_map_lookup_elem(&net_v6_0, &key);
	if (!idx)
		return NULL;
	__u32 i = *idx;
	return active ? bpf_map_lookup_elem(&net_sets_1, &i) : bpf_map_lookup_elem(&net_sets_0, &i);
}

static __always_inline void report(struct net_config *cfg, __u8 hook, __u8 family, const __u8 *addr,
				   __u16 port, __u8 transport, __u8 verdict, __u16 policy, __u32 sock_type)
{
	struct net_decision_event *e = bpf_ringbuf_reserve(&guard_events, sizeof(*e), 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *lost = bpf_map_lookup_elem(&guard_events_lost, &zero);
		if (lost)
			(*lost)++;
		return;
	}
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->generation = cfg ? cfg->generation : 0;
	e->port = port;
	e->policy = policy;
	e->family = family;
	e->transport = transport;
	e->verdict = verdict;
	e->hook = hook;
	e->sock_type = sock_type;
	__builtin_memset(e->addr, 0, sizeof(e->addr));
	if (family == AF_INET)
		__builtin_memcpy(e->addr, addr, 4);
	else if (family == AF_INET6)
		__builtin_memcpy(e->addr, addr, 16);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
}

/* 1 lets the operation proceed, 0 refuses it (EPERM), as cgroup sock_addr programs return. */
static __always_inline int decide(struct bpf_sock_addr *ctx, __u8 hook, int v6)
{
	struct net_config *cfg = guard_config();
	if (!cfg)
		return 0; /* not configured: refuse rather than guess */
	__u8 transport = ctx->type == SOCK_STREAM ? NET_TCP : ctx->type == SOCK_DGRAM ? NET_UDP : NET_ANY;
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	__u8 addr[16] = {};
	__u8 family = AF_INET;
	struct net_rule_set *set;
	if (!v6) {
		__u32 ip = ctx->user_ip4;
		__builtin_memcpy(addr, &ip, 4);
		set = lookup_v4(cfg->active, addr);
	} else {
		__u32 w0 = ctx->user_ip6[0], w1 = ctx->user_ip6[1], w2 = ctx->user_ip6[2], w3 = ctx->user_ip6[3];
		if (w0 == 0 && w1 == 0 && w2 == bpf_htonl(0xffff)) {
			/* ::ffff:a.b.c.d is an IPv4 destination: judge it as one. */
			__builtin_memcpy(addr, &w3, 4);
			set = lookup_v4(cfg->active, addr);
		} else {
			family = AF_INET6;
			__builtin_memcpy(addr, &w0, 4);
			__builtin_memcpy(addr + 4, &w1, 4);
			__builtin_memcpy(addr + 8, &w2, 4);
			__builtin_memcpy(addr + 12, &w3, 4);
			set = lookup_v6(cfg->active, addr);
		}
	}
	__u16 policy = NET_NO_POLICY;
	__u8 verdict;
	if (cfg->proxy_ports && transport == NET_TCP && (port == 80 || port == 443) && hook == NET_HOOK_CONNECT) {
		verdict = NET_PASS_TO_PROXY; /* redirected to the proxy, which decides by hostname */
	} else {
		verdict = judge(set, port, transport, &policy);
		if (verdict == NET_DENY && cfg->mode != NET_ENFORCE)
			verdict = NET_WOULD_DENY;
	}
	report(cfg, hook, family, addr, port, transport, verdict, policy, ctx->type);
	return verdict == NET_DENY ? 0 : 1;
}

SEC("cgroup/connect4")
int guard_connect4(struct bpf_sock_addr *ctx)
{
	return decide(ctx, NET_HOOK_CONNECT, 0);
}

SEC("cgroup/connect6")
int guard_connect6(struct bpf_sock_addr *ctx)
{
	return decide(ctx, NET_HOOK_CONNECT, 1);
}

SEC("cgroup/sendmsg4")
int guard_sendmsg4(struct bpf_sock_addr *ctx)
{
	return decide(ctx, NET_HOOK_SENDMSG, 0);
}

SEC("cgroup/sendmsg6")
int guard_sendmsg6(struct bpf_sock_addr *ctx)
{
	return decide(ctx, NET_HOOK_SENDMSG, 1);
}

/*
 * Raw sockets would bypass every address rule: never, whatever the policy says. (The kernel runs
 * this hook for inet families only; AF_PACKET is kept out by dropping CAP_NET_RAW in every engine.)
 */
SEC("cgroup/sock_create")
int guard_sock_create(struct bpf_sock *ctx)
{
	__u32 type = ctx->type & SOCK_TYPE_MASK;
	if (type != SOCK_RAW && ctx->family != AF_PACKET)
		return 1;
	struct net_config *cfg = guard_config();
	__u8 none[16] = {};
	report(cfg, NET_HOOK_SOCK_CREATE, (__u8)ctx->family, none, 0, NET_ANY, NET_DENY, NET_NO_POLICY, ctx->type);
	return 0;
}
