package dev.corral.engine.usermode;

/**
 * mmap, munmap, mprotect and brk. File mappings are private copies read at map time (a shared
 * writable file mapping is refused); anonymous shared mappings are private too, which is exact until a
 * process forks and both sides write.
 */
final class MemoryCalls {

    private static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20,
            MAP_FIXED_NOREPLACE = 0x100000;
    private static final long PAGE_MASK = UserAddressSpace.PAGE_SIZE - 1;

    long mmap(GuestProcess p, long addr, long length, int prot, int flags, int fd, long offset) {
        if (length <= 0 || length > UserAddressSpace.USER_END || (offset & PAGE_MASK) != 0
                || (flags & (MAP_SHARED | MAP_PRIVATE)) == 0) {
            return -Errno.EINVAL;
        }
        prot &= UserAddressSpace.PROT_READ | UserAddressSpace.PROT_WRITE | UserAddressSpace.PROT_EXEC;
        long len = UserAddressSpace.pageUp(length);
        HostFile file = null;
        if ((flags & MAP_ANONYMOUS) == 0) {
            if (!(p.fds.get(fd) instanceof HostFile f) || !f.canRead()) {
                return p.fds.get(fd) == null ? -Errno.EBADF : -Errno.EACCES;
            }
            if ((flags & MAP_SHARED) != 0 && (prot & UserAddressSpace.PROT_WRITE) != 0) {
                return -Errno.EACCES; // writes would have to reach the host file
            }
            file = f;
        }
        long at;
        if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0) {
            if ((addr & PAGE_MASK) != 0 || addr < UserAddressSpace.PAGE_SIZE || addr > UserAddressSpace.USER_END - len) {
                return -Errno.EINVAL;
            }
            if ((flags & MAP_FIXED) == 0 && p.memory.findFree(addr, len) != addr) {
                return -Errno.EEXIST;
            }
            at = addr;
        } else {
            at = p.memory.findFree(addr & ~PAGE_MASK, len);
            if (at < 0) {
                return -Errno.ENOMEM;
            }
        }
        p.memory.map(at, len, prot);
        if (file != null) {
            long available = Math.max(0, Math.min(len, file.size() - offset));
            byte[] data = new byte[(int) available];
            long n = file.pread(data, data.length, offset);
            if (n > 0) {
                p.memory.poke(at, data, 0, (int) n);
            }
            // Pages wholly past the end of the file are a bus error to touch, as on Linux.
            long backed = UserAddressSpace.pageUp(available);
            if (backed < len) {
                p.memory.protect(at + backed, len - backed, UserAddressSpace.PROT_BUS_ERROR);
            }
        }
        return at;
    }

    long munmap(GuestProcess p, long addr, long length) {
        if ((addr & PAGE_MASK) != 0 || length <= 0 || addr < 0 || addr > UserAddressSpace.USER_END - length) {
            return -Errno.EINVAL;
        }
        p.memory.unmap(addr, UserAddressSpace.pageUp(length));
        return 0;
    }

    long mprotect(GuestProcess p, long addr, long length, int prot) {
        if ((addr & PAGE_MASK) != 0 || length < 0 || addr < 0 || addr > UserAddressSpace.USER_END - length) {
            return -Errno.EINVAL;
        }
        if (length == 0) {
            return 0;
        }
        return p.memory.protect(addr, UserAddressSpace.pageUp(length), prot & 7) ? 0 : -Errno.ENOMEM;
    }

    /** brk: moves the program break; a failed move returns the unchanged break, as Linux does. */
    long brk(GuestProcess p, long requested) {
        if (requested < p.breakStart || requested > UserAddressSpace.USER_END) {
            return p.breakEnd;
        }
        long oldTop = UserAddressSpace.pageUp(p.breakEnd);
        long newTop = UserAddressSpace.pageUp(requested);
        if (newTop > oldTop) {
            if (p.memory.findFree(oldTop, newTop - oldTop) != oldTop) {
                return p.breakEnd;
            }
            p.memory.map(oldTop, newTop - oldTop, UserAddressSpace.PROT_READ | UserAddressSpace.PROT_WRITE);
        } else if (newTop < oldTop) {
            p.memory.unmap(newTop, oldTop - newTop);
        }
        p.breakEnd = requested;
        return requested;
    }
}
