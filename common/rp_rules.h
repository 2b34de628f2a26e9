/* rp_rules.h — the one interpreter of syscalls.def's buffer rules: which user
 * memory a syscall wrote (outputs) or read (inputs), from its table entry, its
 * arguments, its result and the lengths read at entry. Compiled as C++ (the
 * ptrace recorder, replay and dump: common/buffers.cc), as BPF C
 * (record/bpf/rp_regions.bpf.h) and as kernel C (kmod/rp_capture.c).
 *
 * Each environment says how to read user memory and what to do with a region
 * by defining, before including this header:
 *   RP_SINK                  its region sink type; small, copied by value into
 *                            loop contexts and back (BPF callbacks get their
 *                            context on their own stack)
 *   bool rp_sink_read(RP_SINK *k, __u64 addr, int size, __u64 *v)
 *                            an unsigned 4- or 8-byte word of user memory
 *   void rp_sink_put(RP_SINK *k, __u64 addr, __u64 len)
 *                            a region (never called with addr or len 0)
 *   bool rp_sink_stopped(const RP_SINK *k)
 *                            the walk has given up (ring full, fault, ...)
 *   RP_LOOP(n, fn, ctx)      calls long fn(__u32 i, void *ctx) for i < n until
 *                            it returns non-zero (bpf_loop in BPF)
 * and optionally:
 *   RP_SUBPROG               qualifier of the larger walkers (BPF: __noinline,
 *                            global, so the verifier checks each once)
 *   RP_RULES_DEFER_MMSGHDR   recvmmsg is too deep for the environment (BPF's
 *                            call depth): rp_sink_defer(k) hands it to user
 *                            space, which walks it with this same code.
 *   RP_RULES_SEM_NSEMS       the environment can ask the kernel how many
 *                            semaphores a set has (semctl GETALL's output):
 *                            bool rp_sink_sem_nsems(RP_SINK *k, __u64 semid, __u64 *n)
 *   RP_RULES_DEFER_SEM_GETALL  it cannot, but can hand the call to user space
 *                            (rp_sink_defer), which can.
 *   RP_RULES_BPF_MAP         the environment can tell a bpf map's key and
 *                            value bytes from its fd (bpf's lookups):
 *                            bool rp_sink_bpf_map(RP_SINK *k, __u64 fd,
 *                                                 __u64 *key, __u64 *value)
 *   RP_RULES_DEFER_BPF_MAP   it cannot, but can hand the call to user space.
 *   RP_RULES_FD_READS        the environment can tell whether one of the
 *                            thread's fds is open for reading (vmsplice):
 *                            bool rp_sink_fd_reads(RP_SINK *k, __u64 fd)
 *   RP_RULES_DEFER_FD_READS  it cannot, but can hand the call to user space.
 *   RP_RULES_FILE_MAPPED     the environment can tell where the file's bytes
 *                            end in the mapping at an address (mremap), 0 if
 *                            it maps no file:
 *                            __u64 rp_sink_file_end(RP_SINK *k, __u64 addr)
 *   RP_RULES_DEFER_FILE_MAPPED  it cannot, but can hand the call to user space.
 * Plain C with fixed-width types; no loop is unbounded, no stack array is
 * indexed by a variable (the BPF verifier's conditions).
 */
#ifndef RP_RULES_H
#define RP_RULES_H

#include "rp_abi.h"

#ifndef RP_SUBPROG
#define RP_SUBPROG static
#endif
#ifndef RP_INLINE
#define RP_INLINE static inline
#endif

#define RP_MAX_IOV 1024      /* UIO_MAXIOV */
#define RP_MAX_SOCKADDR 128
#define RP_AT_RANDOM 25      /* auxv key of the kernel's 16 random bytes */
#define RP_AT_RANDOM_LEN 16
#define RP_MAP_ANONYMOUS 0x20
#define RP_CLONE_PIDFD 0x1000
#define RP_F_GETLK 5
#define RP_F_OFD_GETLK 36

/* A raw syscall result that is an errno: -4095..-1. */
RP_INLINE bool rp_is_error(__s64 ret)
{
	return ret < 0 && ret > -4096;
}

/* A successful mmap of a file: replay has no file, so the mapping's bytes
 * (ret, args[1]) are captured as kernel-chosen data. */
RP_INLINE bool rp_is_file_mmap(int policy, __s64 ret, const __u64 *args)
{
	return policy == RP_POLICY_MMAP && !rp_is_error(ret) && !(args[3] & RP_MAP_ANONYMOUS);
}

/* args[i] without indexing by a variable (BPF stack). */
RP_INLINE __u64 rp_arg(const __u64 *args, __s64 i)
{
	switch (i) {
	case 0: return args[0];
	case 1: return args[1];
	case 2: return args[2];
	case 3: return args[3];
	case 4: return args[4];
	case 5: return args[5];
	}
	return 0;
}

RP_INLINE __u64 rp_min(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

/* Output size of an ioctl request: the requests without _IOC encoding that
 * rp knows (legacy tty, console and file requests, the socket requests
 * 0x89xx), those whose encoding is wrong (tun's ifreq ones), else
 * _IOC_SIZE when the direction has _IOC_READ. *known is false for requests
 * without _IOC encoding that rp does not know (they may write memory rp cannot
 * see: user space counts them). The request is an unsigned int. */
#define RP_SIZEOF_IFREQ 40
#define RP_SIOCGIFCONF 0x8912
#define RP_FS_IOC_FIEMAP 0xC020660B
#define RP_SIOCGIFBR 0x8940
RP_INLINE __u64 rp_ioctl_size(__u64 req, bool *known)
{
	__u64 dir = (req >> 30) & 3, size = (req >> 16) & 0x3fff;

	*known = true;
	switch (req & 0xffffffff) {
	case 0x1: return 4;          /* FIBMAP: the block number, read and written */
	case 0x2: return 4;          /* FIGETBSZ: the block size (no _IOC encoding) */
	case 0x5401: return 36;      /* TCGETS: struct termios (kernel layout) */
	case 0x5405: return 18;      /* TCGETA: struct termio */
	case 0x540F: return 4;       /* TIOCGPGRP */
	case 0x5411: return 4;       /* TIOCOUTQ */
	case 0x5413: return 8;       /* TIOCGWINSZ */
	case 0x5415: return 4;       /* TIOCMGET */
	case 0x5419: return 4;       /* TIOCGSOFTCAR */
	case 0x541B: return 4;       /* FIONREAD */
	case 0x541E: return 72;      /* TIOCGSERIAL: struct serial_struct */
	case 0x5424: return 4;       /* TIOCGETD: the line discipline */
	case 0x5429: return 4;       /* TIOCGSID */
	case 0x5456: return 36;      /* TIOCGLCKTRMIOS: struct termios */
	case 0x545D: return 80;      /* TIOCGICOUNT: struct serial_icounter_struct */
	case 0x5459: return 4;       /* TIOCSERGETLSR */
	case 0x5460: return 8;       /* FIOQSIZE: loff_t */
	case 0x4B31: return 1;       /* KDGETLED */
	case 0x4B33: return 1;       /* KDGKBTYPE */
	case 0x4B3B: return 4;       /* KDGETMODE */
	case 0x4B44: return 4;       /* KDGKBMODE */
	case 0x4B62: return 4;       /* KDGKBMETA */
	case 0x4B64: return 1;       /* KDGKBLED */
	case 0x5600: return 4;       /* VT_OPENQRY */
	case 0x5601: return 8;       /* VT_GETMODE: struct vt_mode */
	case 0x5603: return 6;       /* VT_GETSTATE: struct vt_stat */
	case 0x400454CA:             /* TUNSETIFF (_IOW, yet writes the name back) */
	case 0x800454D2:             /* TUNGETIFF (_IOR of an int, writes an ifreq) */
		return RP_SIZEOF_IFREQ;
	case 0x802C542A: return 44;  /* TCGETS2 */
	case 0x8903: return 4;       /* FIOGETOWN */
	case 0x8904: return 4;       /* SIOCGPGRP */
	case 0x8905: return 4;       /* SIOCATMARK */
	case 0x8906: return 16;      /* SIOCGSTAMP: struct timeval (64-bit) */
	case 0x8907: return 16;      /* SIOCGSTAMPNS: struct timespec */
	case 0x8910:                 /* SIOCGIFNAME ... */
	case 0x8913:                 /* SIOCGIFFLAGS */
	case 0x8915:                 /* SIOCGIFADDR */
	case 0x8917:                 /* SIOCGIFDSTADDR */
	case 0x8919:                 /* SIOCGIFBRDADDR */
	case 0x891B:                 /* SIOCGIFNETMASK */
	case 0x891D:                 /* SIOCGIFMETRIC */
	case 0x8921:                 /* SIOCGIFMTU */
	case 0x8927:                 /* SIOCGIFHWADDR */
	case 0x8933:                 /* SIOCGIFINDEX */
	case 0x8935:                 /* SIOCGIFPFLAGS */
	case 0x8942:                 /* SIOCGIFTXQLEN */
	case 0x8970:                 /* ... SIOCGIFMAP: the struct ifreq, written back */
		return RP_SIZEOF_IFREQ;
	case RP_SIOCGIFCONF: return 16; /* struct ifconf; its buffer: rp_put_ioctl */
	case 0x894B: return 4;       /* SIOCOUTQNSD */
	case RP_SIOCGIFBR: return 0; /* its array of 3 longs is read; rp_put_ioctl */
	}
	if (dir & 2)
		return size;
	*known = dir != 0;
	return 0;
}

RP_INLINE void rp_put(RP_SINK *k, __u64 addr, __u64 len)
{
	if (addr && len && !rp_sink_stopped(k))
		rp_sink_put(k, addr, len);
}

/* An ioctl's output at p: rp_ioctl_size's bytes, and what three requests
 * write beyond their struct: FS_IOC_FIEMAP its extents after the header
 * (fm_mapped_extents of them, at most fm_extent_count, 56 bytes each),
 * SIOCGIFCONF ifc_len bytes at ifc_buf (both read after the call), the
 * bridge's SIOCGIFBR with BRCTL_GET_BRIDGES one int per bridge (the result)
 * at the array's second long. */
#define RP_FIEMAP_EXTENT 56
#define RP_FIEMAP_MAX_EXTENTS 65536
#define RP_IFCONF_MAX (1 << 20)
#define RP_BRCTL_GET_BRIDGES 1
#define RP_BRIDGES_MAX 1024
RP_INLINE void rp_put_ioctl(RP_SINK *k, __u64 p, __u64 req, __u64 ret, bool *known)
{
	__u64 n = 0, cap = 0, buf = 0;

	rp_put(k, p, rp_ioctl_size(req, known));
	if ((req & 0xffffffff) == RP_FS_IOC_FIEMAP && rp_sink_read(k, p + 20, 4, &n) &&
	    rp_sink_read(k, p + 24, 4, &cap))
		rp_put(k, p + 32, RP_FIEMAP_EXTENT * rp_min(rp_min(n, cap), RP_FIEMAP_MAX_EXTENTS));
	if ((req & 0xffffffff) == RP_SIOCGIFCONF && rp_sink_read(k, p, 4, &n) &&
	    rp_sink_read(k, p + 8, 8, &buf))
		rp_put(k, buf, rp_min(n & 0x7fffffff, RP_IFCONF_MAX));
	if ((req & 0xffffffff) == RP_SIOCGIFBR && rp_sink_read(k, p, 8, &n) &&
	    n == RP_BRCTL_GET_BRIDGES && rp_sink_read(k, p + 8, 8, &buf))
		rp_put(k, buf, 4 * rp_min(ret, RP_BRIDGES_MAX));
}

/* semctl's output at p: by command, except GETALL, which writes one u16 per
 * semaphore of set args[0], a count only the kernel knows. An environment
 * that can neither ask it nor defer (the kernel module) records nothing for
 * GETALL; user space counts that as missing data. */
RP_INLINE void rp_put_semctl(RP_SINK *k, __u64 p, const __u64 *args)
{
#if defined(RP_RULES_SEM_NSEMS)
	__u64 n = 0;
#endif

	if (!rp_semctl_is_getall(args[2])) {
		rp_put(k, p, rp_semctl_out_size(args[2]));
		return;
	}
#if defined(RP_RULES_SEM_NSEMS)
	if (rp_sink_sem_nsems(k, args[0], &n))
		rp_put(k, p, 2 * rp_min(n, RP_SEMMSL_MAX));
#elif defined(RP_RULES_DEFER_SEM_GETALL)
	rp_sink_defer(k);
#endif
}

/* ---- iovec arrays ---- */

struct rp_iov_walk {
	__u64 iov, limit;
	RP_SINK k;
};

/* Entry i of an iovec array, taking at most what is left of the limit. */
static long rp_iov_step(__u32 i, void *ctx)
{
	struct rp_iov_walk *c = (struct rp_iov_walk *)ctx;
	__u64 base, len, take;

	if (rp_sink_stopped(&c->k) || !c->limit)
		return 1;
	if (!rp_sink_read(&c->k, c->iov + (__u64)i * RP_SIZEOF_IOVEC, 8, &base) ||
	    !rp_sink_read(&c->k, c->iov + (__u64)i * RP_SIZEOF_IOVEC + 8, 8, &len))
		return 1;
	take = rp_min(len, c->limit);
	c->limit -= take;
	rp_put(&c->k, base, take);
	return 0;
}

/* iovec array at iov with n entries, covering at most limit bytes. */
RP_SUBPROG int rp_put_iov(RP_SINK *k, __u64 iov, __u64 n, __u64 limit)
{
	struct rp_iov_walk c;

	if (!k || !iov || rp_sink_stopped(k))
		return 0;
	c.iov = iov;
	c.limit = limit;
	c.k = *k;
	RP_LOOP(rp_min(n, RP_MAX_IOV), rp_iov_step, &c);
	*k = c.k;
	return 0;
}

/* vmsplice from a pipe's read end fills the iovecs as readv does; into a
 * write end the kernel only reads them. */
RP_INLINE void rp_put_vmsplice(RP_SINK *k, __u64 iov, const __u64 *args, __u64 uret)
{
#if defined(RP_RULES_FD_READS)
	if (rp_sink_fd_reads(k, args[0]))
		rp_put_iov(k, iov, args[2], uret);
#elif defined(RP_RULES_DEFER_FD_READS)
	(void)iov; (void)args; (void)uret;
	rp_sink_defer(k);
#else
	(void)k; (void)iov; (void)args; (void)uret;
#endif
}

/* bpf(cmd, attr, size): what the kernel writes in attr itself (lengths,
 * counts, ids: recorded whole, at most RP_BPF_ATTR_MAX bytes) and in the
 * buffers attr names: a lookup's value and GET_NEXT_KEY's key (their sizes
 * are the map's: rp_sink_bpf_map), OBJ_GET_INFO_BY_FD's info (info_len
 * bytes, as the kernel set it), PROG_QUERY's prog ids (prog_cnt of them),
 * and the verifier's log of PROG_LOAD and BTF_LOAD (log_size bytes), which
 * a failed load writes too. */
#define RP_BPF_ATTR_MAX 256
#define RP_BPF_LOG_MAX (1 << 20)
#define RP_BPF_QUERY_MAX 1024
RP_INLINE void rp_put_bpf_map_elem(RP_SINK *k, __u64 attr, __u64 cmd)
{
#if defined(RP_RULES_BPF_MAP)
	__u64 fd = 0, key = 0, value = 0, buf = 0;

	if (rp_sink_read(k, attr, 4, &fd) && rp_sink_read(k, attr + 16, 8, &buf) &&
	    rp_sink_bpf_map(k, fd, &key, &value))
		rp_put(k, buf, cmd == RP_BPF_MAP_GET_NEXT_KEY ? key : value);
#elif defined(RP_RULES_DEFER_BPF_MAP)
	(void)attr; (void)cmd;
	rp_sink_defer(k);
#else
	(void)k; (void)attr; (void)cmd;
#endif
}

RP_INLINE void rp_put_bpf(RP_SINK *k, __u64 attr, const __u64 *args, bool failed)
{
	__u64 cmd = args[0], level = 0, n = 0, buf = 0;

	/* log_level is at 24 in both; PROG_LOAD's log_size and log_buf at 28
	 * and 32, BTF_LOAD's btf_log_size and btf_log_buf at 20 and 8. */
	if ((cmd == RP_BPF_PROG_LOAD || cmd == RP_BPF_BTF_LOAD) &&
	    rp_sink_read(k, attr + 24, 4, &level) && level &&
	    rp_sink_read(k, attr + (cmd == RP_BPF_PROG_LOAD ? 28 : 20), 4, &n) &&
	    rp_sink_read(k, attr + (cmd == RP_BPF_PROG_LOAD ? 32 : 8), 8, &buf))
		rp_put(k, buf, rp_min(n, RP_BPF_LOG_MAX));
	if (failed)
		return;
	rp_put(k, attr, rp_min(args[2], RP_BPF_ATTR_MAX));
	switch (cmd) {
	case RP_BPF_MAP_LOOKUP_ELEM:
	case RP_BPF_MAP_LOOKUP_AND_DELETE_ELEM:
	case RP_BPF_MAP_GET_NEXT_KEY:
		rp_put_bpf_map_elem(k, attr, cmd);
		break;
	case RP_BPF_OBJ_GET_INFO_BY_FD:
		if (rp_sink_read(k, attr + 4, 4, &n) && rp_sink_read(k, attr + 8, 8, &buf))
			rp_put(k, buf, n);
		break;
	case RP_BPF_PROG_QUERY:
		if (rp_sink_read(k, attr + 24, 4, &n) && rp_sink_read(k, attr + 16, 8, &buf))
			rp_put(k, buf, 4 * rp_min(n, RP_BPF_QUERY_MAX));
		break;
	}
}

/* setsockopt(fd, level, name, optval, optlen) writes one thing back: an
 * iptables or ip6tables IPT_SO_SET_REPLACE (name 64 at SOL_IP or SOL_IPV6)
 * copies the replaced table's counters, num_counters (at optval + 84) of 16
 * bytes each, to the counters pointer (at optval + 88) of its struct
 * ipt_replace / ip6t_replace. */
#define RP_SO_SET_REPLACE 64
#define RP_XT_REPLACE_BYTES 96
#define RP_XT_COUNTERS_MAX 65536
RP_INLINE void rp_put_setsockopt(RP_SINK *k, __u64 optval, const __u64 *args)
{
	__u64 n = 0, counters = 0;

	if ((args[1] == 0 || args[1] == 41) && args[2] == RP_SO_SET_REPLACE &&
	    args[4] >= RP_XT_REPLACE_BYTES && rp_sink_read(k, optval + 84, 4, &n) &&
	    rp_sink_read(k, optval + 88, 8, &counters))
		rp_put(k, counters, 16 * rp_min(n, RP_XT_COUNTERS_MAX));
}

/* mremap's output: a file mapping grown from old_len to new_len bytes, now
 * at addr, shows the file's next bytes in its new part, which replay (where
 * the mapping is anonymous memory holding the recorded bytes) must write, up
 * to the file's end (a page past it raises SIGBUS: there is no byte to read).
 * Anonymous memory grows with zeros there too: nothing to record. */
RP_INLINE void rp_put_mremap(RP_SINK *k, __u64 addr, __u64 old_len, __u64 new_len)
{
	if (new_len <= old_len)
		return;
#if defined(RP_RULES_FILE_MAPPED)
	__u64 end = rp_min(rp_sink_file_end(k, addr), addr + new_len);

	if (end > addr + old_len)
		rp_put(k, addr + old_len, end - (addr + old_len));
#elif defined(RP_RULES_DEFER_FILE_MAPPED)
	(void)addr;
	rp_sink_defer(k);
#else
	(void)k; (void)addr;
#endif
}

/* ---- struct msghdr: name@0 namelen@8 iov@16 iovlen@24 control@32 controllen@40 ---- */

/* recvmsg-style msghdr at m after the call; name_cap and ctl_cap are the
 * buffer sizes given at entry (the kernel reports the full name length even
 * when less fit). */
RP_SUBPROG int rp_put_msghdr(RP_SINK *k, __u64 m, __u64 data_len, __u32 name_cap,
			     __u32 ctl_cap)
{
	__u64 name, namelen, iov, iovlen, ctl, ctllen;

	if (!k)
		return 0;
	rp_put(k, m, RP_SIZEOF_MSGHDR); /* namelen, controllen and flags are updated */
	if (rp_sink_read(k, m, 8, &name) && rp_sink_read(k, m + 8, 4, &namelen))
		rp_put(k, name, rp_min(namelen, name_cap));
	if (rp_sink_read(k, m + 16, 8, &iov) && rp_sink_read(k, m + 24, 8, &iovlen))
		rp_put_iov(k, iov, iovlen, data_len);
	if (rp_sink_read(k, m + 32, 8, &ctl) && rp_sink_read(k, m + 40, 8, &ctllen))
		rp_put(k, ctl, rp_min(ctllen, ctl_cap));
	return 0;
}

/* ---- struct mmsghdr vectors (recvmmsg, sendmmsg): msghdr + msg_len@56 ---- */

struct rp_mmsg_walk {
	__u64 vec;
	RP_SINK k;
};

/* sendmmsg/recvmmsg: only msg_len of entry i is written. */
static long rp_mmsglen_step(__u32 i, void *ctx)
{
	struct rp_mmsg_walk *c = (struct rp_mmsg_walk *)ctx;

	rp_put(&c->k, c->vec + (__u64)i * RP_SIZEOF_MMSGHDR + 56, 4);
	return rp_sink_stopped(&c->k) ? 1 : 0;
}

#ifndef RP_RULES_DEFER_MMSGHDR
/* recvmmsg: entry i, a msghdr filled with msg_len bytes. */
static long rp_mmsghdr_step(__u32 i, void *ctx)
{
	struct rp_mmsg_walk *c = (struct rp_mmsg_walk *)ctx;
	__u64 m = c->vec + (__u64)i * RP_SIZEOF_MMSGHDR, got = 0;
	bool have = rp_sink_read(&c->k, m + 56, 4, &got);

	rp_put(&c->k, m, RP_SIZEOF_MMSGHDR);
	if (have)
		rp_put_msghdr(&c->k, m, got, RP_MAX_SOCKADDR, 1 << 20);
	return rp_sink_stopped(&c->k) ? 1 : 0;
}
#endif

/* Walks n entries of the mmsghdr vector at vec with step (a macro, so that
 * bpf_loop sees a constant callback). */
#define RP_PUT_MMSG(k, vec_, n, step)                                           \
	do {                                                                    \
		struct rp_mmsg_walk c_;                                         \
		c_.vec = (vec_);                                                \
		c_.k = *(k);                                                    \
		RP_LOOP(rp_min((n), RP_MAX_IOV), step, &c_);                    \
		*(k) = c_.k;                                                    \
	} while (0)

/* ---- the size kinds ---- */

/* In/out lengths some outputs need from syscall entry, for one output
 * descriptor: LENPTR's *(u32 *)args[p1] into len[0], MSGHDR's namelen and
 * controllen into len[0] and len[1]. An unreadable word leaves the cap open
 * (U32_MAX): at exit the kernel's length decides, and a bad pointer fails the
 * call anyway (a kernel probe cannot fault pages in at entry). */
RP_INLINE void rp_entry_len(RP_SINK *k, int kind, int arg, __s64 p1, const __u64 *args,
			    __u32 len[2])
{
	__u64 v;

	if (kind == RP_SZ_LENPTR && rp_arg(args, p1)) {
		len[0] = rp_sink_read(k, rp_arg(args, p1), 4, &v) ? (__u32)v : 0xffffffffu;
	} else if (kind == RP_SZ_MSGHDR && rp_arg(args, arg)) {
		len[0] = rp_sink_read(k, rp_arg(args, arg) + 8, 4, &v) ? (__u32)v : 0xffffffffu;
		len[1] = rp_sink_read(k, rp_arg(args, arg) + 40, 8, &v) ? (__u32)v : 0xffffffffu;
	}
}

/* The regions output descriptor (kind, arg, p1, p2) says the kernel wrote,
 * after the call returned ret (syscalls.def explains the kinds). */
RP_INLINE void rp_put_output(RP_SINK *k, int kind, int arg, __s64 p1, __s64 p2,
			     const __u64 *args, __s64 ret, const __u32 entry_len[2])
{
	bool failed = rp_is_error(ret), known;
	__u64 uret = failed || ret < 0 ? 0 : (__u64)ret;
	__u64 p = rp_arg(args, arg), v;

	if (!p || arg < 0)
		return;
	switch (kind) {
	case RP_SZ_FIXED:
		/* Recorded even when the call failed (nanosleep's remaining time on
		 * EINTR); an unreadable pointer simply yields no bytes. */
		rp_put(k, p, p1);
		break;
	case RP_SZ_RET:
		/* p2: a header before the counted bytes (msgrcv's mtype). */
		if (!failed)
			rp_put(k, p, uret * p1 + p2);
		break;
	case RP_SZ_ARG:
		if (!failed)
			rp_put(k, p, rp_arg(args, p1));
		break;
	case RP_SZ_ARGMUL:
		if (!failed)
			rp_put(k, p, rp_arg(args, p1) * p2);
		break;
	case RP_SZ_LENPTR:
		if (!failed && rp_arg(args, p1) && rp_sink_read(k, rp_arg(args, p1), 4, &v))
			rp_put(k, p, rp_min(rp_min(v, entry_len[0]), RP_MAX_SOCKADDR * 32));
		break;
	case RP_SZ_IOV:
		if (!failed)
			rp_put_iov(k, p, rp_arg(args, p1), uret);
		break;
	case RP_SZ_MSGHDR:
		if (!failed)
			rp_put_msghdr(k, p, uret, entry_len[0], entry_len[1]);
		break;
	case RP_SZ_MMSGHDR:
#ifdef RP_RULES_DEFER_MMSGHDR
		if (uret)
			rp_sink_defer(k);
#else
		RP_PUT_MMSG(k, p, uret, rp_mmsghdr_step);
#endif
		break;
	case RP_SZ_MMSGLEN:
		RP_PUT_MMSG(k, p, uret, rp_mmsglen_step);
		break;
	case RP_SZ_IOCTL:
		if (!failed)
			rp_put_ioctl(k, p, args[1], uret, &known);
		break;
	case RP_SZ_FCNTL:
		if (!failed)
			rp_put(k, p, rp_fcntl_out_size(args[1]));
		break;
	case RP_SZ_KEYCTL:
		if (!failed)
			rp_put(k, p, rp_keyctl_out_size(args[0], uret, args[3]));
		break;
	case RP_SZ_SEMCTL:
		if (!failed)
			rp_put_semctl(k, p, args);
		break;
	case RP_SZ_SETSOCKOPT:
		if (!failed)
			rp_put_setsockopt(k, p, args);
		break;
	case RP_SZ_BPF:
		rp_put_bpf(k, p, args, failed);
		break;
	case RP_SZ_FUTEX:
		if (!failed)
			rp_put(k, p, rp_futex_out_size(args[1], p1));
		break;
	case RP_SZ_PIDFD:
		if (!failed && uret && (args[0] & RP_CLONE_PIDFD))  /* the parent: ret is the child */
			rp_put(k, p, 4);
		break;
	case RP_SZ_MREMAP:
		if (!failed)
			rp_put_mremap(k, uret, args[1], args[2]);
		break;
	case RP_SZ_CAPDATA:
		if (!failed && rp_sink_read(k, args[0], 4, &v))
			rp_put(k, p, rp_capget_out_size((__u32)v));
		break;
	case RP_SZ_VMSPLICE:
		if (!failed && uret)
			rp_put_vmsplice(k, p, args, uret);
		break;
	case RP_SZ_FDSET:
		if (!failed)
			rp_put(k, p, (rp_min(args[0], 1 << 20) + 63) / 64 * 8);
		break;
	case RP_SZ_PAGES:
		if (!failed)
			rp_put(k, p, (rp_arg(args, p1) + 4095) / 4096);
		break;
	case RP_SZ_BITS:
		if (!failed)
			rp_put(k, p, (rp_min(rp_arg(args, p1), 1 << 16) + 63) / 64 * 8);
		break;
	case RP_SZ_HANDLE:
		if (rp_sink_read(k, p, 4, &v))
			rp_put(k, p, 8 + rp_min(v, 128));
		break;
	}
}

/* The regions input descriptor (kind, arg, p1) says the syscall read: the
 * bytes a write-like call sends. */
RP_INLINE void rp_put_input(RP_SINK *k, int kind, int arg, __s64 p1, const __u64 *args)
{
	__u64 p = rp_arg(args, arg), iov, iovlen;

	if (!p || arg < 0)
		return;
	switch (kind) {
	case RP_SZ_ARG:
		rp_put(k, p, rp_arg(args, p1));
		break;
	case RP_SZ_IOV:
		rp_put_iov(k, p, rp_arg(args, p1), ~0ull);
		break;
	case RP_SZ_MSGHDR:
		if (rp_sink_read(k, p + 16, 8, &iov) && rp_sink_read(k, p + 24, 8, &iovlen))
			rp_put_iov(k, iov, iovlen, ~0ull);
		break;
	}
}

/* Walks auxv (key, value) pairs for AT_RANDOM: GET(i) reads word i. Stops at
 * AT_NULL; bounded by max words. Sets *addr, leaves it alone if absent. */
#define RP_AUXV_FIND_RANDOM(GET, max, addr)                                     \
	do {                                                                    \
		int i_;                                                         \
		for (i_ = 0; i_ + 1 < (max); i_ += 2) {                         \
			__u64 key_ = GET(i_);                                   \
			if (key_ == 0)                                          \
				break;                                          \
			if (key_ == RP_AT_RANDOM) {                             \
				*(addr) = GET(i_ + 1);                          \
				break;                                          \
			}                                                       \
		}                                                               \
	} while (0)

#endif /* RP_RULES_H */
