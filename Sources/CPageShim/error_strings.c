// SPDX-License-Identifier: Apache-2.0
/*
 * error_strings.c - mach_error_string and mach_error_type as macOS words
 * them: a Mach error is | system (6 bits) | subsystem (12) | code (14) |,
 * and each known code has its sentence, such as "(os/kern) invalid
 * address". The kern system's codes (every kern_return_t) and the Mach IPC
 * system's (MACH_SEND_*, MACH_RCV_*, MIG_*, and the old negative IPC and
 * MIG numbers, mapped first as macOS maps them) are here; other systems
 * give macOS's sentence for an unknown subsystem or system.
 */
#include "internal.h"

#include <stddef.h>

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

static const char *const kern_codes[] = {
    "(os/kern) successful",
    "(os/kern) invalid address",
    "(os/kern) protection failure",
    "(os/kern) no space available",
    "(os/kern) invalid argument",
    "(os/kern) failure",
    "(os/kern) resource shortage",
    "(os/kern) not receiver",
    "(os/kern) no access",
    "(os/kern) memory failure",
    "(os/kern) memory error",
    "(os/kern) already in set",
    "(os/kern) not in set",
    "(os/kern) name exists",
    "(os/kern) aborted",
    "(os/kern) invalid name",
    "(os/kern) invalid task",
    "(os/kern) invalid right",
    "(os/kern) invalid value",
    "(os/kern) urefs overflow",
    "(os/kern) invalid capability",
    "(os/kern) right exists",
    "(os/kern) invalid host",
    "(os/kern) memory present",
    "(os/kern) memory data moved",
    "(os/kern) memory restart copy",
    "(os/kern) invalid processor set",
    "(os/kern) policy limit",
    "(os/kern) invalid policy",
    "(os/kern) invalid object",
    "(os/kern) already waiting",
    "(os/kern) default set",
    "(os/kern) exception protected",
    "(os/kern) invalid ledger",
    "(os/kern) invalid memory control",
    "(os/kern) invalid security",
    "(os/kern) not depressed",
    "(os/kern) object terminated",
    "(os/kern) lock set destroyed",
    "(os/kern) lock unstable",
    "(os/kern) lock owned by another",
    "(os/kern) lock owned by self",
    "(os/kern) semaphore destroyed",
    "(os/kern) RPC terminated",
    "(os/kern) terminate orphan",
    "(os/kern) let orphan continue",
    "(os/kern) service not supported",
    "(os/kern) remote node down",
    "(os/kern) thread not waiting",
    "(os/kern) operation timed out",
    "(os/kern) code signing error",
    "(os/kern) policy is static",
    "(os/kern) insufficient input buffer size",
    "(os/kern) denied by security policy",
    "(os/kern) missing kernel collection",
    "(os/kern) invalid kernel collection",
    "(os/kern) result not found",
};

static const char *const send_codes[] = {
    "(ipc/send) no error",
    "(ipc/send) send in progress",
    "(ipc/send) invalid data",
    "(ipc/send) invalid destination port",
    "(ipc/send) timed out",
    "(ipc/send) invalid voucher",
    "(ipc/send) unused error",
    "(ipc/send) interrupted",
    "(ipc/send) msg too small",
    "(ipc/send) invalid reply port",
    "(ipc/send) invalid port right",
    "(ipc/send) invalid notify port",
    "(ipc/send) invalid memory",
    "(ipc/send) no msg buffer",
    "(ipc/send) msg too large",
    "(ipc/send) invalid msg-type",
    "(ipc/send) invalid msg-header",
    "(ipc/send) invalid msg-trailer",
    "(ipc/send) invalid context for reply",
    "(ipc/send) unused error",
    "(ipc/send) unused error",
    "(ipc/send) out-of-line buffer too large",
    "(ipc/send) destination does not accept OOL ports",
};

static const char *const receive_codes[] = {
    "(ipc/rcv) no error",
    "(ipc/rcv) receive in progress",
    "(ipc/rcv) invalid name",
    "(ipc/rcv) timed out",
    "(ipc/rcv) msg too large",
    "(ipc/rcv) interrupted",
    "(ipc/rcv) port changed",
    "(ipc/rcv) invalid notify port",
    "(ipc/rcv) invalid data",
    "(ipc/rcv) port died",
    "(ipc/rcv) port in set",
    "(ipc/rcv) header error",
    "(ipc/rcv) body error",
    "(ipc/rcv) invalid scatter list entry",
    "(ipc/rcv) overwrite region too small",
    "(ipc/rcv) invalid msg-trailer",
    "(ipc/rcv) DIPC transport error",
};

static const char *const mig_codes[] = {
    "(ipc/mig) client type check failure",
    "(ipc/mig) wrong reply message ID",
    "(ipc/mig) server detected error",
    "(ipc/mig) bad request message ID",
    "(ipc/mig) server type check failure",
    "(ipc/mig) no reply should be sent",
    "(ipc/mig) server raised exception",
    "(ipc/mig) array not large enough",
    "(ipc/mig) server died",
    "(ipc/mig) unknown trailer format",
};

/* The original IPC's codes, which old negative numbers map to. */
static const char *const old_send_codes[] = {
    "(ipc/send) unknown error",
    "(ipc/send) invalid memory",
    "(ipc/send) invalid port",
    "(ipc/send) timed out",
    "(ipc/send) unused error",
    "(ipc/send) will notify",
    "(ipc/send) notify in progress",
    "(ipc/send) kernel refused message",
    "(ipc/send) send interrupted",
    "(ipc/send) send message too large",
    "(ipc/send) send message too small",
    "(ipc/send) message size changed while being copied",
};

static const char *const old_receive_codes[] = {
    "(ipc/rcv) unknown error",
    "(ipc/rcv) invalid memory",
    "(ipc/rcv) invalid port",
    "(ipc/rcv) receive timed out",
    "(ipc/rcv) message too large",
    "(ipc/rcv) no space for message data",
    "(ipc/rcv) only sender remaining",
    "(ipc/rcv) receive interrupted",
    "(ipc/rcv) port receiver changed or port became enabled",
};

static const char *const old_mig_codes[] = {
    "(ipc/mig) type check failure in message interface",
    "(ipc/mig) wrong return message ID",
    "(ipc/mig) server detected error",
    "(ipc/mig) bad message ID",
    "(ipc/mig) server found wrong arguments",
    "(ipc/mig) no reply should be sent",
    "(ipc/mig) server raised exception",
    "(ipc/mig) user specified array not large enough for return info",
};

struct subsystem {
    const char *name;
    const char *const *codes;
    size_t count;
};

struct error_system {
    const char *bad_subsystem;
    const struct subsystem *subsystems;
    size_t count;
};

static const struct subsystem kern_subsystems[] = {
    {"(os/kern)", kern_codes, COUNT(kern_codes)},
    {"(os/?)", NULL, 0},
    {"(os/?)", NULL, 0},
};

static const struct subsystem old_ipc_subsystems[] = {
    {"(ipc/send)", old_send_codes, COUNT(old_send_codes)},
    {"(ipc/rcv)", old_receive_codes, COUNT(old_receive_codes)},
    {"(ipc/mig)", old_mig_codes, COUNT(old_mig_codes)},
};

static const struct subsystem ipc_subsystems[] = {
    {"(ipc/send)", send_codes, COUNT(send_codes)},
    {"(ipc/rcv)", receive_codes, COUNT(receive_codes)},
    {"(ipc/mig)", mig_codes, COUNT(mig_codes)},
};

/* The systems macOS names, by number; the others have no entry. */
static const struct error_system systems[64] = {
    [0x0] = {"(operating system/?) unknown subsystem error", kern_subsystems, COUNT(kern_subsystems)},
    [0x1] = {"(user space/?) unknown subsystem error", NULL, 0},
    [0x2] = {"(server/?) unknown subsystem error", NULL, 0},
    [0x3] = {"(ipc/?) unknown subsystem error", old_ipc_subsystems, COUNT(old_ipc_subsystems)},
    [0x4] = {"(ipc/?) unknown subsystem error", ipc_subsystems, COUNT(ipc_subsystems)},
    [0x8] = {"(vm/?) unknown subsystem error", NULL, 0},
    [0x37] = {"(libkern/?) unknown subsystem error", NULL, 0},
    [0x38] = {"(iokit/?) unknown subsystem error", NULL, 0},
};

/* macOS maps old numbers first: the original IPC's -100 to -299 and MIG's
 * -300 to -399 (MIG_TYPE_ERROR and the rest). */
static int compatible(int error)
{
    if (error <= -100 && error > -200)
        return (0x3 << 26) | (0 << 14) | -(error + 100);
    if (error <= -200 && error > -300)
        return (0x3 << 26) | (1 << 14) | -(error + 200);
    if (error <= -300 && error > -400)
        return (0x4 << 26) | (2 << 14) | -(error + 300);
    return error;
}

static const struct subsystem *subsystem_of(int error)
{
    error = compatible(error);
    unsigned int system = ((unsigned int)error >> 26) & 0x3f, sub = ((unsigned int)error >> 14) & 0xfff;
    return sub < systems[system].count ? &systems[system].subsystems[sub] : NULL;
}

const char *pk_mach_error_string(int error)
{
    error = compatible(error);
    unsigned int system = ((unsigned int)error >> 26) & 0x3f, code = (unsigned int)error & 0x3fff;
    const struct subsystem *subsystem = subsystem_of(error);
    if (subsystem == NULL)
        return systems[system].bad_subsystem != NULL ? systems[system].bad_subsystem : "(?/?) unknown error system";
    return code < subsystem->count ? subsystem->codes[code] : "unknown error code";
}

const char *pk_mach_error_type(int error)
{
    const struct subsystem *subsystem = subsystem_of(error);
    return subsystem != NULL ? subsystem->name : "(?/?)";
}

bool pk_mach_error_known(int error)
{
    error = compatible(error);
    const struct subsystem *subsystem = subsystem_of(error);
    return subsystem != NULL && ((unsigned int)error & 0x3fff) < subsystem->count;
}
