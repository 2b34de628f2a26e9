# Four Python threads append to one shared list; the interpreter switches
# between them (the GIL's switch interval, a timed futex wait) so the order of
# the entries differs between runs. Prints the list's length and a hash of
# that order: replay must print the same.
import hashlib
import threading

shared = []


def worker(tid):
    for i in range(40000):
        shared.append(tid)
        if i % 1000 == 0:
            sum(range(200))  # a little work between appends


threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(len(shared), hashlib.sha256(bytes(shared)).hexdigest()[:16])
