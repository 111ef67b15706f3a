package dev.corral.engine.cpu.sys;

import dev.corral.engine.cpu.state.CpuMemory;

/**
 * A vCPU's decoded code as the system level sees it: told of writes into code pages ({@link CpuMemory}'s listener,
 * and other vCPUs' writes through {@link VcpuLink}), it drops what was decoded from them. The block cache is the one
 * implementation.
 */
public interface CodeCache extends CpuMemory.CodeWriteListener {

    /** Drops everything decoded (more pages were written than could be named). */
    void dropAll();
}
