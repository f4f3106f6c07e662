/*
 * main.c - `shopvox-sandbox`: the fakes of the outside APIs as a process of
 * their own, for demos and tests that do not want the service binary.
 * Same flags as `shopvox sandbox` (see sandbox.h).
 */
#include <signal.h>

#include "sandbox.h"

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    return sandbox_main(argc, argv);
}
