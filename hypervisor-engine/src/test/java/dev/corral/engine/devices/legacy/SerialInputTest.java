package dev.corral.engine.devices.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayDeque;
import java.util.Random;

import org.junit.jupiter.api.Test;

class SerialInputTest {

    @Test
    void aFullQueueKeepsTheOldestBytesAndCountsTheNewestAsDropped() {
        var input = new SerialInput(4);
        assertThat(input.offer("abcdef".getBytes(), 0, 6)).isEqualTo(4);
        assertThat(input.dropped()).isEqualTo(2);
        assertThat(input.poll()).isEqualTo('a');
        assertThat(input.offer("xyz".getBytes(), 1, 2)).isEqualTo(1);
        assertThat(input.dropped()).isEqualTo(3);
        var out = new StringBuilder();
        for (int b; (b = input.poll()) >= 0; ) {
            out.append((char) b);
        }
        assertThat(out).hasToString("bcdy");
        assertThat(input.queued()).isZero();
    }

    /** Seeded: random offers and polls across the ring's wrap behave as an unbounded queue cut at the capacity. */
    @Test
    void offersAndPollsAgreeWithABoundedQueueModel() {
        for (long seed = 1; seed <= 50; seed++) {
            var random = new Random(seed);
            int capacity = 1 + random.nextInt(40);
            var input = new SerialInput(capacity);
            var model = new ArrayDeque<Integer>();
            long dropped = 0;
            for (int step = 0; step < 2_000; step++) {
                if (random.nextBoolean()) {
                    var bytes = new byte[random.nextInt(capacity + 5)];
                    random.nextBytes(bytes);
                    int expected = Math.min(bytes.length, capacity - model.size());
                    for (int i = 0; i < expected; i++) {
                        model.add(bytes[i] & 0xff);
                    }
                    dropped += bytes.length - expected;
                    assertThat(input.offer(bytes, 0, bytes.length)).as("seed %d", seed).isEqualTo(expected);
                } else {
                    assertThat(input.poll()).as("seed %d", seed).isEqualTo(model.isEmpty() ? -1 : model.poll());
                }
                assertThat(input.queued()).isEqualTo(model.size());
            }
            assertThat(input.dropped()).isEqualTo(dropped);
        }
    }

    @Test
    void aQueueHoldsAtLeastOneByte() {
        assertThatThrownBy(() -> new SerialInput(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one byte");
    }
}
