/**
 * The KVM API as this engine speaks it: ioctl numbers ({@link dev.corral.engine.kvm.KvmIoctl}) and the argument
 * structs as FFM layouts ({@link dev.corral.engine.kvm.KvmStructs}), each checked against {@code <linux/kvm.h>}
 * by compiling it with gcc (KvmAbiTest), so a wrong layout fails on any machine, with or without /dev/kvm.
 */
package dev.corral.engine.kvm;
