package dev.corral.engine.usermode;

import java.util.function.Consumer;

/**
 * Page number to {@link Page}, open addressing with linear probing: the lookup behind the TLB misses,
 * without boxing a {@code Long} per access.
 */
final class PageMap {
    private static final long EMPTY = -1;
    private long[] keys = newKeys(1024);
    private Page[] values = new Page[1024];
    private int size;

    private static long[] newKeys(int capacity) {
        long[] k = new long[capacity];
        java.util.Arrays.fill(k, EMPTY);
        return k;
    }

    private static int slot(long vpn, int mask) {
        long h = vpn * 0x9E3779B97F4A7C15L;
        return (int) (h >>> 40) & mask;
    }

    int size() {
        return size;
    }

    Page get(long vpn) {
        int mask = keys.length - 1;
        for (int i = slot(vpn, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == vpn) {
                return values[i];
            }
            if (k == EMPTY) {
                return null;
            }
        }
    }

    void put(long vpn, Page page) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int mask = keys.length - 1;
        for (int i = slot(vpn, mask); ; i = (i + 1) & mask) {
            if (keys[i] == vpn) {
                values[i] = page;
                return;
            }
            if (keys[i] == EMPTY) {
                keys[i] = vpn;
                values[i] = page;
                size++;
                return;
            }
        }
    }

    void remove(long vpn) {
        int mask = keys.length - 1;
        int i = slot(vpn, mask);
        while (keys[i] != vpn) {
            if (keys[i] == EMPTY) {
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = EMPTY;
        values[i] = null;
        size--;
        // Re-insert the rest of the probe run so later lookups do not stop at the hole.
        for (int j = (i + 1) & mask; keys[j] != EMPTY; j = (j + 1) & mask) {
            long k = keys[j];
            Page v = values[j];
            keys[j] = EMPTY;
            values[j] = null;
            size--;
            put(k, v);
        }
    }

    /** Calls {@code action} with each page number present. */
    void forEachKey(java.util.function.LongConsumer action) {
        long[] k = keys.clone();
        for (long vpn : k) {
            if (vpn != EMPTY) {
                action.accept(vpn);
            }
        }
    }

    void forEachValue(Consumer<Page> action) {
        for (Page p : values) {
            if (p != null) {
                action.accept(p);
            }
        }
    }

    private void grow() {
        long[] oldKeys = keys;
        Page[] oldValues = values;
        keys = newKeys(oldKeys.length * 2);
        values = new Page[oldKeys.length * 2];
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) {
            if (oldKeys[i] != EMPTY) {
                put(oldKeys[i], oldValues[i]);
            }
        }
    }
}
