package dev.corral.engine.storage;

import static dev.corral.engine.storage.Qcow2Mapping.COMPRESSED;
import static dev.corral.engine.storage.Qcow2Mapping.COPIED;
import static dev.corral.engine.storage.Qcow2Mapping.OFFSET_MASK;

/**
 * The walk made before an image is opened for writing: every cluster it references must be counted, or the first
 * allocation could hand out a cluster that is still in use (a tenant's image may lie in its refcounts). Clusters
 * marked as owned (the COPIED flag) must have a refcount of exactly one, since they are written in place.
 */
final class Qcow2Check {

    private Qcow2Check() {
    }

    static void references(String image, Qcow2Header header, Qcow2Mapping mapping, Qcow2Refcounts refcounts,
                           long[] metadataClusters) throws StorageException {
        for (long cluster : metadataClusters) {
            if (refcounts.get(cluster) == 0) {
                throw Qcow2Header.corrupt(image, "its metadata cluster " + cluster + " has a refcount of 0");
            }
        }
        int clusterBits = header.clusterBits();
        for (int i = 0; i < mapping.l1Size(); i++) {
            long l1 = mapping.l1Entry(i);
            if (l1 == 0) {
                continue;
            }
            if ((l1 & COPIED) == 0 || refcounts.get((l1 & OFFSET_MASK) >>> clusterBits) != 1) {
                throw new StorageException(image + ": its L2 table " + i + " is shared (internal snapshots?); writing "
                        + "to such images is not supported");
            }
            Qcow2Mapping.Table table = mapping.table((long) i << (clusterBits - 3), false);
            for (long entry : table.entries) {
                if ((entry & COMPRESSED) != 0) {
                    long offset = mapping.compressedOffset(entry);
                    long last = offset + mapping.compressedSize(entry) - 1;
                    for (long c = offset >>> clusterBits; c <= last >>> clusterBits; c++) {
                        if (refcounts.get(c) == 0) {
                            throw Qcow2Header.corrupt(image, "its compressed data at " + offset + " is not counted");
                        }
                    }
                } else if ((entry & OFFSET_MASK) != 0) {
                    long count = refcounts.get((entry & OFFSET_MASK) >>> clusterBits);
                    if (count == 0 || ((entry & COPIED) != 0 && count != 1)) {
                        throw Qcow2Header.corrupt(image, "its data cluster at " + (entry & OFFSET_MASK)
                                + " has refcount " + count + " where its L2 entry says otherwise");
                    }
                }
            }
        }
    }
}
