package dev.corral.engine.storage;

import java.util.Arrays;

/**
 * The host clusters that hold an image's metadata (header, L1 table, refcount table and blocks, L2 tables), kept
 * sorted so that a table entry read from an untrusted file can be refused when it points into them: two tables
 * sharing a cluster, or guest data read from or written over a table, would corrupt the image.
 */
final class ClusterSet {

    private long[] clusters;
    private int count;

    private ClusterSet(long[] sorted) {
        this.clusters = sorted;
        this.count = sorted.length;
    }

    /** The set of {@code clusters}; refuses the image when one occurs twice. */
    static ClusterSet of(long[] clusters, String image) throws StorageException {
        long[] sorted = clusters.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < sorted.length; i++) {
            if (sorted[i] == sorted[i - 1]) {
                throw Qcow2Header.corrupt(image, "two of its metadata tables share cluster " + sorted[i]);
            }
        }
        return new ClusterSet(sorted);
    }

    boolean contains(long cluster) {
        return Arrays.binarySearch(clusters, 0, count, cluster) >= 0;
    }

    /** Adds {@code cluster}; false when it is already there. */
    boolean add(long cluster) {
        int at = Arrays.binarySearch(clusters, 0, count, cluster);
        if (at >= 0) {
            return false;
        }
        int insert = -at - 1;
        if (count == clusters.length) {
            clusters = Arrays.copyOf(clusters, Math.max(16, count * 2));
        }
        System.arraycopy(clusters, insert, clusters, insert + 1, count - insert);
        clusters[insert] = cluster;
        count++;
        return true;
    }

    void remove(long cluster) {
        int at = Arrays.binarySearch(clusters, 0, count, cluster);
        if (at >= 0) {
            System.arraycopy(clusters, at + 1, clusters, at, count - at - 1);
            count--;
        }
    }
}
