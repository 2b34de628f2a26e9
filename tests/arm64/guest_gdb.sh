#!/bin/busybox sh
# /init of the arm64 gdb VM (tests/arm64/gdb_vm_test.sh): records
# check_secret, then serves its replay to the gdb on the host. rp listens on
# the guest's loopback only (--gdb-port); busybox nc on the network port
# QEMU forwards from the host (2345) relays each connection to it.
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs -o size=200m tmp /tmp
ip link set lo up
# Debian's arm64 kernel has virtio-mmio and virtio-net as modules.
for m in failover net_failover virtio_mmio virtio_net; do
  insmod /modules/$m.ko || echo "RP-GDB-VM insmod $m failed"
done
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 || echo "RP-GDB-VM no network"
cd /tmp
rp record -o /tmp/cs.db -- /samples/check_secret < /dev/null > /tmp/cs.rec 2> /tmp/cs.rec.err
echo "RP-GDB-RECORD status $? output $(cat /tmp/cs.rec)"
printf '#!/bin/sh\nexec nc 127.0.0.1 5555\n' > /bin/relay
chmod +x /bin/relay
rp replay --gdb-port 5555 /tmp/cs.db < /dev/null > /tmp/cs.rep 2> /tmp/cs.rep.err &
rp_pid=$!
# Until rp listens (or has given up); the host waits for RP-GDB-READY.
while ! grep -q "waiting for gdb" /tmp/cs.rep.err && kill -0 $rp_pid 2>/dev/null; do sleep 1; done
nc -l -p 2345 -e /bin/relay &
echo "RP-GDB-READY"
wait $rp_pid
echo "RP-GDB-REPLAY status $? output $(cat /tmp/cs.rep)"
sed 's/^/  | /' /tmp/cs.rep.err | tail -n 20
echo "RP-GDB-VM-DONE"
poweroff -f
