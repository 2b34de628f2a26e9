/* rp_abi.h — the one C header shared by the kernel module (kmod/), the eBPF
 * program (record/bpf/) and user space. It holds:
 *   - the enums the syscall table (syscalls.def) is written in,
 *   - per-architecture sizes of the structs the table names,
 *   - the binary record layout a kernel backend writes into its ring buffer,
 *   - the /dev/rp ioctl interface of the kernel module.
 * Plain C, no includes in kernel/BPF builds, fixed-width fields, 8-byte aligned
 * records, so every producer and the single user-space decoder agree.
 */
#ifndef RP_ABI_H
#define RP_ABI_H

#if defined(__KERNEL__) || defined(__bpf__)
/* the kernel and vmlinux.h provide __u64 and friends */
#else
#include <linux/types.h>
#include <linux/ioctl.h>
#endif

/* ---- syscall table vocabulary (see syscalls.def) ---- */
enum rp_policy {
	RP_POLICY_EMU = 0,
	RP_POLICY_EXEC,
	RP_POLICY_MMAP,
	RP_POLICY_CLONE,
	RP_POLICY_EXECVE,
	RP_POLICY_EXIT,
	RP_POLICY_KILL,
	RP_POLICY_SIGRETURN,
	RP_POLICY_ENOSYS,
};

enum rp_size {
	RP_SZ_NONE = 0,
	RP_SZ_FIXED,
	RP_SZ_RET,
	RP_SZ_ARG,
	RP_SZ_ARGMUL,
	RP_SZ_LENPTR,
	RP_SZ_IOV,
	RP_SZ_MSGHDR,
	RP_SZ_MMSGHDR,
	RP_SZ_MMSGLEN,
	RP_SZ_IOCTL,
	RP_SZ_FCNTL,
	RP_SZ_FDSET,
	RP_SZ_PAGES,
	RP_SZ_BITS,
	RP_SZ_HANDLE,
	RP_SZ_KEYCTL,  /* keyctl: buffer args[2] of length args[3], per sub-command */
	RP_SZ_SEMCTL,  /* semctl: struct semid_ds / seminfo at args[3], per sub-command */
	RP_SZ_VMSPLICE, /* vmsplice: IOV when fd args[0] is open for reading */
	RP_SZ_CAPDATA, /* capget: cap data structs at args[1], by the header's version */
	RP_SZ_MREMAP,  /* mremap: the part a file mapping grew by, from ret */
	RP_SZ_PIDFD,   /* clone: the pidfd CLONE_PIDFD stores at args[2], in the parent */
	RP_SZ_FUTEX,   /* futex: the word an operation writes, args[p1] (rp_futex_out_size) */
	RP_SZ_BPF,     /* bpf: attr written back, the buffers its command fills (rp_put_bpf) */
	RP_SZ_SETSOCKOPT, /* setsockopt: what an option writes back (rp_put_setsockopt) */
};

/* Sizes of kernel ABI structs named by the table. They differ by architecture,
 * which is why the table uses these names instead of numbers. */
#if defined(__aarch64__) || defined(__TARGET_ARCH_arm64)
#define RP_SIZEOF_STAT 128
#define RP_SIZEOF_EPOLL_EVENT 16
#else /* x86_64 */
#define RP_SIZEOF_STAT 144
#define RP_SIZEOF_EPOLL_EVENT 12 /* packed on x86_64 */
#endif
#define RP_SIZEOF_TIMESPEC 16
#define RP_SIZEOF_TIMEVAL 16
#define RP_SIZEOF_ITIMERVAL 32
#define RP_SIZEOF_ITIMERSPEC 32
#define RP_SIZEOF_RUSAGE 144
#define RP_SIZEOF_UTSNAME 390
#define RP_SIZEOF_SYSINFO 112
#define RP_SIZEOF_STATFS 120
#define RP_SIZEOF_STATX 256
#define RP_SIZEOF_SIGINFO 128
#define RP_SIZEOF_STACK_T 24
#define RP_SIZEOF_KSIGACTION 32
#define RP_SIZEOF_TIMEX 208
#define RP_SIZEOF_SHMID_DS 112
#define RP_SIZEOF_MSQID_DS 120
#define RP_SIZEOF_MSGHDR 56
#define RP_SIZEOF_MMSGHDR 64
#define RP_SIZEOF_IOVEC 16
#define RP_SIZEOF_FLOCK 32

#define RP_SIZEOF_SEMID_DS 104
#define RP_SIZEOF_SEMINFO 40

/* ---- outputs of multiplexed syscalls, by sub-command ----
 * Shared by every producer so that they record the same bytes. */

/* fcntl: bytes written at args[2] for command cmd (F_GETLK and F_OFD_GETLK
 * a struct flock, F_GETOWN_EX a struct f_owner_ex, F_GET_RW_HINT and
 * F_GET_FILE_RW_HINT a u64). */
static inline __u64 rp_fcntl_out_size(__u64 cmd)
{
	switch (cmd) {
	case 5: case 36: return RP_SIZEOF_FLOCK; /* F_GETLK, F_OFD_GETLK */
	case 16: return 8;                       /* F_GETOWN_EX */
	case 1035: case 1037: return 8;          /* F_GET_RW_HINT, F_GET_FILE_RW_HINT */
	}
	return 0;
}

/* capget: bytes written at args[1], one struct __user_cap_data_struct (12
 * bytes) for _LINUX_CAPABILITY_VERSION_1, two for versions 2 and 3: the
 * version in the header at args[0] after the call (with any other the call
 * fails, writing only the header). */
static inline __u64 rp_capget_out_size(__u32 version)
{
	switch (version) {
	case 0x19980330: return 12;
	case 0x20071026: case 0x20080522: return 24;
	}
	return 0;
}

/* Where a file's bytes end in a mapping [start, end) of it from file page
 * pgoff on, the file `size` bytes long: after the page that holds its last
 * byte (a page past it raises SIGBUS), never past the mapping. The eBPF
 * program and the module compute a grown mremap's recorded part with it
 * from the VMA (rp_sink_file_end, rp_rules.h). */
static inline __u64 rp_file_map_end(__u64 start, __u64 end, __u64 pgoff, __u64 size,
				    unsigned page_shift)
{
	__u64 pages = (size + (1ull << page_shift) - 1) >> page_shift, stop;

	if (pages <= pgoff)
		return start;
	stop = start + ((pages - pgoff) << page_shift);
	return stop < end ? stop : end;
}

/* keyctl: bytes written at args[2] (a buffer of args[3] bytes) by
 * KEYCTL_DESCRIBE, KEYCTL_READ, KEYCTL_GET_SECURITY and KEYCTL_DH_COMPUTE; the
 * call returns the full length, of which at most the buffer is written. */
static inline __u64 rp_keyctl_out_size(__u64 cmd, __u64 ret, __u64 buflen)
{
	switch (cmd) {
	case 6: case 11: case 17: case 23:
		return ret < buflen ? ret : buflen;
	}
	return 0;
}

/* futex: bytes the operation op writes at its argument `slot` (0: uaddr,
 * 4: uaddr2), a futex word the kernel changes in user memory. WAKE_OP
 * applies its operation to *uaddr2; the PI operations store the owner's tid
 * and the waiters bit in *uaddr, the requeue-PI ones in *uaddr2. The other
 * operations only read the words. */
static inline __u64 rp_futex_out_size(__u64 op, __u64 slot)
{
	switch (op & 127) { /* without FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME */
	case 5: case 11: case 12: /* WAKE_OP, WAIT_REQUEUE_PI, CMP_REQUEUE_PI */
		return slot == 4 ? 4 : 0;
	case 6: case 7: case 8: case 13: /* LOCK_PI, UNLOCK_PI, TRYLOCK_PI, LOCK_PI2 */
		return slot == 0 ? 4 : 0;
	}
	return 0;
}

/* bpf(cmd, attr, size): the commands rp_put_bpf (rp_rules.h) knows. */
#define RP_BPF_MAP_LOOKUP_ELEM 1
#define RP_BPF_MAP_GET_NEXT_KEY 4
#define RP_BPF_PROG_LOAD 5
#define RP_BPF_OBJ_GET_INFO_BY_FD 15
#define RP_BPF_PROG_QUERY 16
#define RP_BPF_BTF_LOAD 18
#define RP_BPF_MAP_LOOKUP_AND_DELETE_ELEM 21
/* A map's value as a lookup copies it out: per-CPU maps give one value,
 * rounded up to 8 bytes, for each possible CPU. */
static inline __u64 rp_bpf_value_bytes(__u64 map_type, __u64 value_size, __u64 cpus)
{
	switch (map_type) {
	case 5: case 6: case 10: case 21: /* PERCPU_HASH, _ARRAY, LRU_PERCPU_HASH, PERCPU_CGROUP_STORAGE */
		return ((value_size + 7) & ~7ull) * cpus;
	}
	return value_size;
}

/* semctl: bytes written at args[3] for command cmd (IPC_STAT, SEM_STAT and
 * SEM_STAT_ANY a struct semid_ds; IPC_INFO and SEM_INFO a struct seminfo).
 * GETALL writes one u16 per semaphore, a count the call does not show: see
 * rp_put_semctl in rp_rules.h. */
#define RP_SEM_GETALL 13
#define RP_SEMMSL_MAX 32000 /* the kernel's limit on semaphores per set */
static inline int rp_semctl_is_getall(__u64 cmd)
{
	return (cmd & 0xff) == RP_SEM_GETALL;
}

static inline __u64 rp_semctl_out_size(__u64 cmd)
{
	switch (cmd & 0xff) { /* IPC_64 (0x100) selects the same layout on 64-bit */
	case 2: case 18: case 20: return RP_SIZEOF_SEMID_DS;
	case 3: case 19: return RP_SIZEOF_SEMINFO;
	}
	return 0;
}

/* The calls that copy bytes between files inside the kernel, never through
 * the program's memory (common/kernel_copy.h): the index of their output fd
 * argument, -1 for any other call. Numbers as in syscalls.def (checked
 * there by kernel_copy.h). */
#if defined(__aarch64__) || defined(__TARGET_ARCH_arm64)
#define RP_NR_SENDFILE 71
#define RP_NR_SPLICE 76
#define RP_NR_TEE 77
#define RP_NR_COPY_FILE_RANGE 285
#else
#define RP_NR_SENDFILE 40
#define RP_NR_SPLICE 275
#define RP_NR_TEE 276
#define RP_NR_COPY_FILE_RANGE 326
#endif
static inline int rp_kernel_copy_out_arg(__s64 nr)
{
	switch (nr) {
	case RP_NR_SENDFILE: return 0;
	case RP_NR_TEE: return 1;
	case RP_NR_SPLICE: case RP_NR_COPY_FILE_RANGE: return 2;
	}
	return -1;
}

/* restart_syscall continues a call that returned -ERESTART_RESTARTBLOCK
 * (nanosleep, clock_nanosleep, poll, futex waits) after a stop or a signal
 * that ran no handler, and writes that call's outputs (the time left, poll's
 * revents) at that call's addresses. So each recorder keeps a thread's last
 * such call (rp_restart_note at every sys_exit), gives a restart_syscall's
 * record that call's arguments with its number in args[5] (rp_restart_args
 * at entry; none of these calls has an output a sixth argument places or
 * sizes), and walks the record's buffers by that call's table entry
 * (rp_buffers_nr). Number as in syscalls.def (checked in buffers.cc). */
#if defined(__aarch64__) || defined(__TARGET_ARCH_arm64)
#define RP_NR_RESTART_SYSCALL 128
#else
#define RP_NR_RESTART_SYSCALL 219
#endif

/* A syscall's return value that the kernel never hands to user code: the
 * call is interrupted by a signal and, on the way out, the signal code either
 * restarts it (back over the syscall instruction; restart_syscall for
 * ERESTART_RESTARTBLOCK) or turns it into EINTR when a handler runs. Between
 * that sys_exit and the signal stop (or the restart's sys_enter) the thread
 * runs no user code; its registers there (the code in the return register)
 * are no point replay can reach. (515, ENOIOCTLCMD, never leaves the kernel.) */
#define RP_ERESTARTSYS 512
#define RP_ERESTARTNOINTR 513
#define RP_ERESTARTNOHAND 514
#define RP_ERESTART_RESTARTBLOCK 516
static inline int rp_restart_code(__s64 ret)
{
	return ret == -RP_ERESTARTSYS || ret == -RP_ERESTARTNOINTR || ret == -RP_ERESTARTNOHAND ||
	       ret == -RP_ERESTART_RESTARTBLOCK;
}

/* The calls in which the kernel may copy the caller's memory for a new
 * process (dup_mmap): where the eBPF program and the module look for the
 * copy's end (rp_call_forks, common/fork_copy.h). arm64 has no fork. */
#if defined(__aarch64__) || defined(__TARGET_ARCH_arm64)
#define RP_NR_CLONE 220
#else
#define RP_NR_CLONE 56
#define RP_NR_FORK 57
#endif
#define RP_NR_CLONE3 435

struct rp_restart {
	__u64 args[5];
	__s64 nr; /* 0: none to continue */
};

static inline void rp_restart_note(struct rp_restart *r, __s64 nr, const __u64 *args, __s64 ret)
{
	int i;

	if (ret == -RP_ERESTART_RESTARTBLOCK && nr != RP_NR_RESTART_SYSCALL) {
		for (i = 0; i < 5; i++)
			r->args[i] = args[i];
		r->nr = nr;
	} else if (nr == RP_NR_RESTART_SYSCALL && ret != -RP_ERESTART_RESTARTBLOCK) {
		r->nr = 0; /* the call it continued is over */
	}
}

/* A restart_syscall's arguments (it takes none): the continued call's. */
static inline void rp_restart_args(const struct rp_restart *r, __u64 *args)
{
	int i;

	for (i = 0; i < 5; i++)
		args[i] = r->nr ? r->args[i] : 0;
	args[5] = (__u64)r->nr;
}

/* The syscall whose table entry describes a record's buffers. */
static inline __s64 rp_buffers_nr(__s64 nr, const __u64 *args)
{
	return nr == RP_NR_RESTART_SYSCALL && args[5] ? (__s64)args[5] : nr;
}

/* The program's stdout and stderr as files (0: that fd was closed), for the
 * kernel backends' rule below; dev in the kernel's numbering (major << 20 |
 * minor: common/kernel_copy.h kernel_output_files). */
struct rp_output_files {
	__u64 ino[2];
	__u32 dev[2];
};

/* The output fd argument of a call whose copied bytes user space must read
 * back (a successful sendfile, splice, tee or copy_file_range: tee's bytes are
 * still at the head of its source pipe, common/kernel_copy.h), -1 otherwise.
 * The kernel backends stop the thread after such a call into the program's
 * output, and that argument is the one they check. */
static inline int rp_copy_to_check(__s64 nr, __s64 ret)
{
	return ret <= 0 ? -1 : rp_kernel_copy_out_arg(nr);
}

/* Whether the file (ino, dev) that call wrote to is the program's stdout or
 * stderr: the file, not the fd number, as the recorder's rule. */
static inline int rp_is_output_file(const struct rp_output_files *o, __u64 ino, __u32 dev)
{
	return ino && ((ino == o->ino[0] && dev == o->dev[0]) ||
		       (ino == o->ino[1] && dev == o->dev[1]));
}

/* ---- kernel backend ring records ----
 * A kernel backend emits, per completed syscall, one rp_rec_syscall and
 * rp_rec_data records carrying the bytes of its buffers (split into chunks when
 * large), matched by seq. Every record starts with rp_rec_hdr; size covers
 * header + payload and is a multiple of 8. A syscall record may carry some of
 * its data records inside it (the eBPF program packs small ones so that a
 * syscall costs one ring record): its h.size then exceeds
 * sizeof(struct rp_rec_syscall) and the bytes after it are whole rp_rec_data
 * records of the same seq, counted in ndata like the others. */
enum rp_rec_type {
	RP_REC_SYSCALL = 1,  /* struct rp_rec_syscall */
	RP_REC_DATA = 2,     /* struct rp_rec_data + payload */
	RP_REC_TASK = 3,     /* struct rp_rec_task: fork/exit seen in the kernel */
	RP_REC_PAD = 4,      /* kmod ring only: filler up to the ring's end, skip it */
	RP_REC_SWITCH = 5,   /* struct rp_rec_switch: a thread stopped running user code */
};

struct rp_rec_hdr {
	__u32 size;
	__u16 type;
	__u16 flags;
};

/* rp_rec_syscall.flags */
#define RP_SYSF_DATA_MISSING 0x1 /* a buffer could not be copied: user space must read it */
#define RP_SYSF_NO_EXIT 0x2      /* exit/exit_group/execve seen at entry only */
#define RP_SYSF_NO_ENTRY 0x4     /* exit seen without its entry (tracing began inside the
                                  * call, e.g. the first execve): args are 0, entry_seq 0 */
#define RP_SYSF_DEFERRED 0x8     /* kmod: completed at the thread's return to user space
                                  * (sleepable) with all its data; its data records (before
                                  * it, as always) may be interleaved with other threads'
                                  * records: match them by seq */
#define RP_SYSF_KILLED 0x10      /* a fatal signal was pending at sys_exit: the call never
                                  * returned to user space (ret meaningless, no outputs);
                                  * becomes an event with extra kNoReturn, as under ptrace */

struct rp_rec_syscall {
	struct rp_rec_hdr h;
	__u32 tid;
	__u32 tgid;
	__u64 seq;       /* global sequence number, taken at sys_exit */
	__u64 tseq;      /* per-thread sequence number, proves per-thread completeness */
	__s64 nr;
	__u64 args[6];   /* saved at sys_enter: arm64 overwrites x0 with the return value */
	__s64 ret;
	__u32 ndata;     /* rp_rec_data records of this seq, packed inside or not */
	__u32 entry_len[2]; /* *(u32 *)lenptr at entry, for RP_SZ_LENPTR outputs */
	__u32 pad;
	__u64 entry_seq; /* global sequence number taken at sys_enter (0: not seen) */
	__u64 t_entry;   /* CLOCK_MONOTONIC ns at sys_enter (0: not seen) */
	__u64 t_exit;    /* CLOCK_MONOTONIC ns at sys_exit (at sys_enter for RP_SYSF_NO_EXIT) */
};

/* rp_rec_data.flags */
#define RP_DATAF_INPUT 0x1 /* bytes the syscall read (hashed by user space), not wrote */

/* rp_rec_data.out_index: which buffer the bytes come from. A region larger than a
 * chunk arrives as consecutive records with increasing addr. len may be shorter
 * than the region (even 0) where the tracee's memory was unreadable, like a short
 * process_vm_readv; h.size may then exceed the aligned payload: always use len. */
#define RP_DATA_IDX_INPUT 4      /* the table's input descriptor (flag INPUT) */
#define RP_DATA_IDX_EXTRA 5      /* kernel-chosen bytes: AT_RANDOM after execve,
                                  * the contents of a fresh file mapping (mmap) */
#define RP_DATA_IDX_STR(i) (8 + (i)) /* string argument i ('s'), no NUL (flag INPUT) */
/* out_index's upper 16 bits: the record's place among its call's data records
 * (mod 2^16), in the order of the call's buffers. The eBPF program packs small
 * records into the syscall's own ring record and sends larger ones ahead of
 * it, so they arrive out of that order; user space restores it, which the
 * input hash (iovecs in order) and overlapping outputs depend on. */
#define RP_DATA_IDX_MASK 0xffffu
#define RP_DATA_ORDINAL_SHIFT 16
#define RP_DATA_INDEX(idx, ordinal) \
	((__u32)(idx) | ((__u32)(ordinal) << RP_DATA_ORDINAL_SHIFT))

struct rp_rec_data {
	struct rp_rec_hdr h;
	__u32 len;       /* payload bytes that follow this header (before padding) */
	__u32 out_index; /* which descriptor of the table entry (0..3, or 4 for input),
	                  * and the record's ordinal (RP_DATA_INDEX) */
	__u64 seq;       /* the syscall record it belongs to */
	__u64 addr;      /* tracee address of the first payload byte */
	/* payload */
};

enum rp_task_event { RP_TASK_FORK = 1, RP_TASK_EXIT = 2 };

struct rp_rec_task {
	struct rp_rec_hdr h;
	__u32 event;     /* enum rp_task_event */
	__u32 tid;
	__u32 tgid;
	__u32 parent_tid;
	__u64 seq;
	__s64 status;    /* RP_TASK_EXIT: wait status (exit code << 8, or signal) */
};

/* A recorded thread stopped running user code without making a syscall (the
 * scheduler preempted it, or it blocked in a page fault) and another thread of
 * the recording then ran user code before it resumed. All threads of a
 * recording run on one CPU, so these switches and the syscall entries are the
 * whole interleaving of user code; replay stops the thread at exactly these
 * registers (see replay/signals.cc run_to_point). seq sorts it among the
 * syscall records: taken when the other thread resumed user code. */
#define RP_SWITCH_REGS 34 /* words: x86_64 user_regs_struct is 27, arm64 user_pt_regs 34 */

/* What tells apart two passes of a switch point that hold the same registers
 * (a loop that keeps its state in memory: an interpreter's bytecode loop):
 * for each general register that holds a user address, a hash of the bytes it
 * points to, taken where the thread stopped. Which registers, which bytes and
 * the hash are common/rp_digest_rules.h's. */
#define RP_DIGEST_REGS 32 /* x86_64 uses 17 (rax..r15, rsp, the red zone), arm64 32 (x0..x30, sp) */
struct rp_point_digest {
	__u32 mask;    /* bit i: sum[i] is digest register i's window (read at the stop) */
	__u32 narrow;  /* 0 (what rp takes); 1: each sum is the 32-bit fold an older rp
			* kept (rp_digest_fold32), read from its trace */
	__u64 sum[RP_DIGEST_REGS];
};

/* A signal stop, as the kernel side saw it when the thread entered it: the
 * number its signal event takes (before any other thread runs) and, for a
 * stop in user code, its memory digest then (has_digest). The supervisor
 * reads the stop later, while other threads may already run and write that
 * memory. The eBPF program's `stops` map value; the module's
 * RP_TAKE_STOP_POINT. */
struct rp_stop_point {
	__u64 seq;
	__u32 has_digest;
	__u32 flags;  /* RP_STOP_F_*; 0 from a module older than the field */
	struct rp_point_digest digest;
};
/* The thread's last syscall returned a restart code (rp_restart_code) and it
 * ran no user code since: the signal is delivered at that call's return.
 * arm64 forgets the syscall number and rewinds pc and x0 before the stop,
 * so the registers cannot tell (x86_64 keeps orig_rax >= 0 there). */
#define RP_STOP_F_RESTART_CODE 0x1u
/* A SIGSEGV stop of a thread that had SIGSEGV blocked when its last syscall
 * returned: if the signal was forced (a trapped instruction's), the kernel
 * unblocked it before the stop, and the supervisor puts the bit back
 * (record/segv_mask.cc). Only a signal handler changes the mask without a
 * syscall, and a handler's mask holds its thread's mask from before. */
#define RP_STOP_F_SEGV_BLOCKED 0x2u

struct rp_rec_switch {
	struct rp_rec_hdr h;
	__u32 tid;
	__u32 tgid;
	__u64 seq;
	__u64 regs[RP_SWITCH_REGS]; /* as PTRACE_GETREGS / NT_PRSTATUS returns them, zero padded */
	struct rp_point_digest digest;
	__u64 t_ns; /* CLOCK_MONOTONIC ns when it stopped (0: not taken): how long replay
		     * may search for the point */
};

/* ---- /dev/rp (kmod) ---- */
struct rp_kmod_config {
	__u32 ring_bytes;  /* power of two */
	__u32 wake_bytes;  /* wake the drainer when this much is pending */
	__s32 root_pid;    /* trace this process tree (added at fork) ... */
	__s32 pid;         /* ... or exactly this tgid (-p) ... */
	char comm[16];     /* ... or tasks with exactly this comm (--name) */
	__u32 flags;       /* RP_KMOD_F_* */
	__u32 pad;
};
#define RP_KMOD_F_ENOSYS 0x1 /* refuse ENOSYS-policy syscalls at sys_enter, as ptrace does */
#define RP_KMOD_F_INPUTS 0x2 /* also capture input buffers and string arguments */
#define RP_KMOD_F_SWITCHES 0x4 /* emit RP_REC_SWITCH records, SIGSTOP a thread whose
                                * sched_setaffinity succeeded, keep stop and exit
                                * numbers for RP_IOC_TAKE (replayable recordings:
                                * their ptrace supervisor uses them) */

struct rp_kmod_counters {
	__u64 records;
	__u64 bytes;
	__u64 lost;          /* records that could not be written (must stay 0) */
	__u64 stalls;        /* threads stopped for ring space, or for RP_IOC_TAKE_STALLED */
	__u64 copy_faults;   /* user copies that failed in probe context */
	__u64 head;          /* producer position (bytes) */
	__u64 tail;          /* consumer position (bytes) */
	__u64 deferred;      /* syscalls completed at return to user (fault or no space) */
	__u64 inflight;      /* deferred completions not finished yet */
	__u64 threads;       /* traced threads alive */
	__u64 seq;           /* last global sequence number handed out */
	__u64 enosys;        /* syscalls refused with ENOSYS */
	__u64 killed;        /* calls cut short by a fatal signal (RP_SYSF_KILLED) */
	__u64 ring_full;     /* probe-context emissions that found no room (then deferred) */
	__u64 switches;      /* RP_REC_SWITCH records emitted (RP_KMOD_F_SWITCHES) */
	__u64 exits_renumbered; /* exit numbers given up (rp_exit_renumber): a hole each in seq */
};

/* The first page of the /dev/rp mapping; records start at offset 4096 and
 * never wrap (a PAD record fills the end). A record whose type is still 0 is
 * being written: stop there. The mapping is read-only: consume with
 * RP_IOC_CONSUME(new tail). */
struct rp_kmod_ring_hdr {
	__u64 head;          /* producer position (bytes, monotonic; & (ring_bytes-1)) */
	__u64 tail;          /* consumer position as last consumed */
	__u64 ring_bytes;
	__u64 data_offset;   /* 4096 */
};
#define RP_KMOD_DATA_OFFSET 4096

#define RP_IOC_MAGIC 'r'
#define RP_IOC_CONFIGURE _IOW(RP_IOC_MAGIC, 1, struct rp_kmod_config)
#define RP_IOC_START _IO(RP_IOC_MAGIC, 2)
#define RP_IOC_STOP _IO(RP_IOC_MAGIC, 3)
#define RP_IOC_COUNTERS _IOR(RP_IOC_MAGIC, 4, struct rp_kmod_counters)
#define RP_IOC_CONSUME _IOW(RP_IOC_MAGIC, 5, __u64)
/* Hands out the next global sequence number, for events user space observes
 * itself (signals) so they sort among the kernel's records. */
#define RP_IOC_SEQ _IOR(RP_IOC_MAGIC, 6, __u64)
/* What the module noted about a traced thread, taken (read and cleared) by
 * rp's supervisor (RP_KMOD_F_SWITCHES): RP_TAKE_STOP_SEQ the sequence number
 * taken when it entered the signal stop it is in (0: none), RP_TAKE_REPIN 1
 * if the module stopped it because its sched_setaffinity succeeded,
 * RP_TAKE_EXIT_SEQ (when reaping it) the sequence number of its exit, taken
 * in do_exit before threads it wakes (pthread_join) run; RP_TAKE_FORGET
 * stops tracing the thread (a snapshot's frozen copy, held in its first
 * stop: forked from a traced process, it is no part of the program) and
 * drops what was noted about it. ESRCH: not a traced thread, or no exit
 * noted. */
struct rp_kmod_take {
	__s32 tid;         /* in: thread id in the caller's pid namespace */
	__u32 what;        /* in: RP_TAKE_* */
	__u64 value;       /* out */
};
#define RP_TAKE_STOP_SEQ 1
#define RP_TAKE_REPIN 2
#define RP_TAKE_EXIT_SEQ 3
#define RP_TAKE_FORGET 4
/* The number the thread's syscall entry took at its entry stop (the stop
 * rp_stop_numbers_entry marks), for a call the supervisor answers (0: none;
 * EINVAL from a module older than it). */
#define RP_TAKE_ENTRY_SEQ 5
#define RP_IOC_TAKE _IOWR(RP_IOC_MAGIC, 7, struct rp_kmod_take)
/* The program's stdout and stderr (RP_KMOD_F_SWITCHES): a successful
 * kernel-copy call into either (rp_copy_to_check, rp_is_output_file) is not
 * written to the ring. The module parks its record and stops the thread with
 * SIGSTOP (SI_KERNEL) before it returns to user space; rp's supervisor takes
 * the record with RP_IOC_TAKE_STALLED at that stop and completes it from the
 * stopped thread (record/kernel_capture.h event_from_tracee), as it does for
 * the eBPF backend's stalls. ENOENT: the thread has no parked record. */
#define RP_IOC_OUTPUTS _IOW(RP_IOC_MAGIC, 8, struct rp_output_files)
struct rp_kmod_stalled {
	__s32 tid;         /* in: thread id in the caller's pid namespace */
	__u32 pad;
	struct rp_rec_syscall rec; /* out */
};
#define RP_IOC_TAKE_STALLED _IOWR(RP_IOC_MAGIC, 9, struct rp_kmod_stalled)

/* RP_TAKE_STOP_SEQ with the memory digest the module took when the thread
 * entered its signal stop (struct rp_stop_point), taken. A module older than
 * it answers ENOTTY: take the number alone. */
struct rp_kmod_stop_point {
	__s32 tid;         /* in: thread id in the caller's pid namespace */
	__u32 pad;
	struct rp_stop_point point; /* out (seq 0: none) */
};
#define RP_IOC_TAKE_STOP_POINT _IOWR(RP_IOC_MAGIC, 10, struct rp_kmod_stop_point)

#endif /* RP_ABI_H */
