// SPDX-License-Identifier: GPL-2.0
/* rp.ko: syscall capture for rp's kmod backend. /dev/rp (root only, one
 * opener at a time) is configured by ioctl, exposes a read-only mmap of the
 * record ring and wakes its drainer through poll(). See docs/kmod.md.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/vmalloc.h>

#include "rp_internal.h"

static struct rp_state rp_state;
struct rp_state *rp = &rp_state;

static DEFINE_MUTEX(rp_lock);  /* ioctls, mmap and release */
static atomic_t rp_opened = ATOMIC_INIT(0);

static void rp_wait_idle(void)
{
	wait_event(rp->idle, atomic64_read(&rp->st.inflight) == 0);
}

static void rp_stop_locked(void)
{
	if (rp->running)
		rp_probes_stop();
}

static pid_t rp_global_pid(pid_t vnr)
{
	struct pid *p = find_get_pid(vnr);  /* in the caller's namespace */
	pid_t nr = p ? pid_nr(p) : 0;

	put_pid(p);
	return nr;
}

static long rp_configure(struct rp_kmod_config __user *uc)
{
	struct rp_kmod_config c;
	pid_t root_pid, pid;
	int modes, err;

	if (copy_from_user(&c, uc, sizeof(c)))
		return -EFAULT;
	if (rp->running)
		return -EBUSY;
	if (c.ring_bytes < (256u << 10) || c.ring_bytes > (1u << 30) ||
	    (c.ring_bytes & (c.ring_bytes - 1)))
		return -EINVAL;
	if (!c.wake_bytes || c.wake_bytes > c.ring_bytes / 2)
		c.wake_bytes = c.ring_bytes / 4;
	c.comm[sizeof(c.comm) - 1] = 0;
	modes = (c.root_pid > 0) + (c.pid > 0) + (c.comm[0] != 0);
	if (modes != 1)
		return -EINVAL;
	root_pid = c.root_pid > 0 ? rp_global_pid(c.root_pid) : 0;
	pid = c.pid > 0 ? rp_global_pid(c.pid) : 0;
	if ((c.root_pid > 0 && !root_pid) || (c.pid > 0 && !pid))
		return -ESRCH;
	/* Deferred completions may still write into the old ring. */
	rp_wait_idle();
	if (rp->ring.area) {
		/* The ring may be mapped: it lives until the device is closed
		 * (the mapping holds the file), so its size is fixed. */
		if (rp->ring.size != c.ring_bytes || rp->ring.head != rp->ring.tail)
			return -EBUSY;
		rp->ring.wake_bytes = c.wake_bytes;
	} else {
		err = rp_ring_init(&rp->ring, c.ring_bytes, c.wake_bytes);
		if (err)
			return err;
	}
	rp->cfg = c;
	rp->root_pid = root_pid;
	rp->pid = pid;
	rp->configured = true;
	return 0;
}

static void rp_counters(struct rp_kmod_counters *k)
{
	memset(k, 0, sizeof(*k));
	k->records = atomic64_read(&rp->st.records);
	k->bytes = atomic64_read(&rp->st.bytes);
	k->lost = atomic64_read(&rp->st.lost);
	k->stalls = atomic64_read(&rp->st.stalls);
	k->copy_faults = atomic64_read(&rp->st.copy_faults);
	k->deferred = atomic64_read(&rp->st.deferred);
	k->inflight = atomic64_read(&rp->st.inflight);
	k->threads = atomic64_read(&rp->st.threads);
	k->enosys = atomic64_read(&rp->st.enosys);
	k->killed = atomic64_read(&rp->st.killed);
	k->ring_full = atomic64_read(&rp->st.ring_full);
	k->switches = atomic64_read(&rp->st.switches);
	k->exits_renumbered = atomic64_read(&rp->st.exits_renumbered);
	k->seq = atomic64_read(&rp->seq);
	if (rp->ring.area) {
		spin_lock(&rp->ring.lock);
		k->head = rp->ring.head;
		k->tail = rp->ring.tail;
		spin_unlock(&rp->ring.lock);
	}
}

static void rp_reset_stats(void)
{
	memset(&rp->st, 0, sizeof(rp->st));
	atomic64_set(&rp->seq, 0);
}

static long rp_ioctl_take_stalled(struct rp_kmod_stalled __user *arg)
{
	struct rp_kmod_stalled st;
	long err;

	if (copy_from_user(&st, arg, sizeof(st)))
		return -EFAULT;
	err = rp_take_stalled(st.tid, &st.rec);
	if (!err && copy_to_user(arg, &st, sizeof(st)))
		err = -EFAULT;
	return err;
}

static long rp_ioctl_take_stop_point(struct rp_kmod_stop_point __user *arg)
{
	struct rp_kmod_stop_point sp;
	long err;

	if (copy_from_user(&sp, arg, sizeof(sp)))
		return -EFAULT;
	err = rp_take_stop_point(sp.tid, &sp.point);
	if (!err && copy_to_user(arg, &sp, sizeof(sp)))
		err = -EFAULT;
	return err;
}

static long rp_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	struct rp_kmod_counters k;
	u64 v;
	long err = 0;

	/* Taking a sequence number must not wait for a slow configure. */
	if (cmd == RP_IOC_SEQ) {
		v = rp_next_seq();
		return put_user(v, (u64 __user *)arg);
	}
	if (cmd == RP_IOC_TAKE) {
		struct rp_kmod_take tk;

		if (copy_from_user(&tk, (void __user *)arg, sizeof(tk)))
			return -EFAULT;
		err = rp_take(tk.tid, tk.what, &tk.value);
		if (!err && copy_to_user((void __user *)arg, &tk, sizeof(tk)))
			err = -EFAULT;
		return err;
	}
	if (cmd == RP_IOC_TAKE_STALLED)
		return rp_ioctl_take_stalled((struct rp_kmod_stalled __user *)arg);
	if (cmd == RP_IOC_TAKE_STOP_POINT)
		return rp_ioctl_take_stop_point((struct rp_kmod_stop_point __user *)arg);
	mutex_lock(&rp_lock);
	switch (cmd) {
	case RP_IOC_OUTPUTS:
		/* Before the program runs (its root is held at its exec stop). */
		if (copy_from_user(&rp->outputs, (void __user *)arg, sizeof(rp->outputs)))
			err = -EFAULT;
		break;
	case RP_IOC_CONFIGURE:
		err = rp_configure((struct rp_kmod_config __user *)arg);
		break;
	case RP_IOC_START:
		if (!rp->configured || rp->running) {
			err = -EINVAL;
			break;
		}
		err = rp_probes_start();
		break;
	case RP_IOC_STOP:
		/* Does not wait for deferred completions: the caller keeps
		 * draining until counters.inflight is 0. */
		rp_stop_locked();
		if (rp->ring.area)
			wake_up_all(&rp->ring.readers);
		break;
	case RP_IOC_COUNTERS:
		rp_counters(&k);
		if (copy_to_user((void __user *)arg, &k, sizeof(k)))
			err = -EFAULT;
		break;
	case RP_IOC_CONSUME:
		if (get_user(v, (u64 __user *)arg))
			err = -EFAULT;
		else if (!rp->ring.area)
			err = -EINVAL;
		else
			err = rp_ring_consume(&rp->ring, v);
		break;
	default:
		err = -ENOTTY;
	}
	mutex_unlock(&rp_lock);
	return err;
}

static int rp_mmap(struct file *f, struct vm_area_struct *vma)
{
	unsigned long len = vma->vm_end - vma->vm_start;
	int err = -EINVAL;

	/* Read-only: the kernel trusts nothing user space could write there. */
	if (vma->vm_flags & VM_WRITE)
		return -EPERM;
	mutex_lock(&rp_lock);
	if (rp->ring.area && vma->vm_pgoff == 0 && len == RP_KMOD_DATA_OFFSET + rp->ring.size) {
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
		vm_flags_clear(vma, VM_MAYWRITE);
#else
		vma->vm_flags &= ~VM_MAYWRITE;
#endif
		err = remap_vmalloc_range(vma, rp->ring.area, 0);
	}
	mutex_unlock(&rp_lock);
	return err;
}

static __poll_t rp_poll(struct file *f, poll_table *pt)
{
	if (!smp_load_acquire(&rp->ring.area))
		return EPOLLERR;
	poll_wait(f, &rp->ring.readers, pt);
	return rp_ring_readable(&rp->ring) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int rp_open(struct inode *inode, struct file *f)
{
	/* Reads any traced process's memory: as privileged as ptrace on all. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (atomic_cmpxchg(&rp_opened, 0, 1))
		return -EBUSY;
	/* One session per open: sequence numbers may be taken before START. */
	rp_reset_stats();
	memset(&rp->outputs, 0, sizeof(rp->outputs));
	rp->self_tgid = task_tgid_nr(current);
	return 0;
}

static int rp_release(struct inode *inode, struct file *f)
{
	mutex_lock(&rp_lock);
	rp_stop_locked();
	if (rp->ring.area) {
		/* Waiting writers give up (counted as lost), then the ring goes. */
		rp_ring_kill(&rp->ring);
		rp_wait_idle();
		rp_ring_free(&rp->ring);
	}
	rp->configured = false;
	mutex_unlock(&rp_lock);
	atomic_set(&rp_opened, 0);
	return 0;
}

static const struct file_operations rp_fops = {
	.owner = THIS_MODULE,
	.open = rp_open,
	.release = rp_release,
	.unlocked_ioctl = rp_ioctl,
	.mmap = rp_mmap,
	.poll = rp_poll,
	.llseek = noop_llseek,
};

static struct miscdevice rp_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "rp",
	.fops = &rp_fops,
	.mode = 0600,
};

static int __init rp_init(void)
{
	init_waitqueue_head(&rp->idle);
	rp_table_init();
	return misc_register(&rp_misc);
}

static void __exit rp_exit(void)
{
	/* The device cannot be open here (fops.owner holds the module), so
	 * probes are unregistered and deferred work has finished. */
	misc_deregister(&rp_misc);
}

module_init(rp_init);
module_exit(rp_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("rp record/replay: syscall capture into an mmap'ed ring");
