package dev.corral.engine.devices.virtio;

import java.util.ArrayList;
import java.util.List;

import dev.corral.engine.devices.pci.Dma;
import dev.corral.engine.devices.pci.DmaException;

/**
 * One validated request: the head descriptor's index, then the device-readable buffers and the device-writable
 * buffers in chain order (indirect tables already followed). Every segment was checked to lie in guest RAM and
 * the totals are capped, so a device can address the request as two flat byte ranges, "readable" and "writable".
 */
public record DescriptorChain(int head, List<Segment> readable, List<Segment> writable) {

    /** A guest buffer: {@code length} bytes at guest-physical {@code address}. */
    public record Segment(long address, int length) {
    }

    public DescriptorChain {
        readable = List.copyOf(readable);
        writable = List.copyOf(writable);
    }

    public long readableBytes() {
        return total(readable);
    }

    public long writableBytes() {
        return total(writable);
    }

    /** The segments covering [from, from + length) of the readable bytes; fewer bytes if the chain ends first. */
    public List<Segment> readableRange(long from, long length) {
        return range(readable, from, length);
    }

    /** The segments covering [from, from + length) of the writable bytes; fewer bytes if the chain ends first. */
    public List<Segment> writableRange(long from, long length) {
        return range(writable, from, length);
    }

    /** Copies readable bytes from {@code from} into {@code destination}; returns how many there were (maybe fewer). */
    public int read(Dma dma, long from, byte[] destination) throws DmaException {
        int done = 0;
        for (var s : readableRange(from, destination.length)) {
            dma.read(s.address(), destination, done, s.length());
            done += s.length();
        }
        return done;
    }

    /** Copies {@code source} into the writable bytes from {@code at}; returns how many fitted. */
    public int write(Dma dma, long at, byte[] source) throws DmaException {
        int done = 0;
        for (var s : writableRange(at, source.length)) {
            dma.write(s.address(), source, done, s.length());
            done += s.length();
        }
        return done;
    }

    private static long total(List<Segment> segments) {
        long sum = 0;
        for (var s : segments) {
            sum += s.length();
        }
        return sum;
    }

    private static List<Segment> range(List<Segment> segments, long from, long length) {
        var out = new ArrayList<Segment>();
        long skip = from;
        long left = length;
        for (var s : segments) {
            if (left <= 0) {
                break;
            }
            if (skip >= s.length()) {
                skip -= s.length();
                continue;
            }
            long take = Math.min(s.length() - skip, left);
            out.add(new Segment(s.address() + skip, (int) take));
            left -= take;
            skip = 0;
        }
        return out;
    }
}
