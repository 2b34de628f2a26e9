/* sysv_msgq: a System V message queue round trip (msgget IPC_PRIVATE, msgsnd,
 * msgrcv, msgctl IPC_RMID). The text carries random bytes and the type the
 * pid, so every native run differs; replay must print what the recording
 * received, mtype and the whole text: msgrcv writes the 8-byte mtype before
 * the `ret` bytes of text. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <unistd.h>

struct msg {
    long mtype;
    char text[64];
};

int main(void) {
    unsigned char rnd[16];
    if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd) {
        perror("getrandom");
        return 1;
    }
    struct msg out = {.mtype = 1000 + getpid() % 100000};
    int n = 0;
    for (size_t i = 0; i < sizeof rnd; i++)
        n += snprintf(out.text + n, sizeof out.text - n, "%02x", rnd[i]);
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (q < 0) {
        perror("msgget");
        return 1;
    }
    if (msgsnd(q, &out, (size_t)n, 0) != 0) {
        perror("msgsnd");
        msgctl(q, IPC_RMID, NULL);
        return 1;
    }
    struct msg in;
    memset(&in, 0, sizeof in);
    ssize_t got = msgrcv(q, &in, sizeof in.text, 0, 0);
    if (got < 0) {
        perror("msgrcv");
        msgctl(q, IPC_RMID, NULL);
        return 1;
    }
    printf("mtype %ld, %zd bytes: %.*s\n", in.mtype, got, (int)got, in.text);
    if (msgctl(q, IPC_RMID, NULL) != 0) {
        perror("msgctl");
        return 1;
    }
    return 0;
}
