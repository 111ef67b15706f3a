package dev.corral.controlplane;

import static dev.corral.controlplane.Api.registerNodeWithSubnet;
import static dev.corral.controlplane.Api.unique;
import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.corral.api.WorkloadStatus;
import dev.corral.controlplane.scheduling.AddressPool;
import io.quarkus.narayana.jta.QuarkusTransaction;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** The address pool under many placements at once, each in its own transaction as the scheduler makes them. */
@QuarkusTest
class AddressPoolIT {

    @Inject
    AddressPool pool;

    @Test
    void simultaneousAllocationsOnOneSubnetEachGetADistinctAddressAndNoneIsTurnedAway() throws Exception {
        var r = new SecureRandom();
        // A /26: 62 hosts, the gateway and 61 for VMs; 24 allocations at once fit with room to spare.
        String subnet = "172." + (16 + r.nextInt(16)) + "." + r.nextInt(256) + "." + 64 * r.nextInt(4) + "/26";
        String a = unique("node");
        String b = unique("node");
        registerNodeWithSubnet(a, unique("pool"), subnet).then().statusCode(201);
        registerNodeWithSubnet(b, unique("pool"), subnet).then().statusCode(201);
        int n = 24;
        var barrier = new CyclicBarrier(n);
        var calls = new ArrayList<Callable<WorkloadStatus.Network>>();
        for (int i = 0; i < n; i++) {
            String node = i % 2 == 0 ? a : b;
            calls.add(() -> {
                barrier.await();
                return QuarkusTransaction.requiringNew().call(() -> pool.allocate(node, UUID.randomUUID(), "02:00:00:00:00:01"));
            });
        }
        List<Future<WorkloadStatus.Network>> results;
        try (var threads = Executors.newFixedThreadPool(n)) {
            results = threads.invokeAll(calls);
        }
        var ips = new HashSet<String>();
        for (var f : results) {
            var network = f.get();
            assertThat(network).as("an allocation with free addresses left").isNotNull();
            assertThat(network.subnet()).isEqualTo(subnet);
            ips.add(network.ip());
        }
        assertThat(ips).hasSize(n);
        String base = subnet.substring(0, subnet.lastIndexOf('.') + 1);
        int first = Integer.parseInt(subnet.substring(subnet.lastIndexOf('.') + 1, subnet.indexOf('/')));
        var expected = new HashSet<String>();
        for (int i = 0; i < n; i++) {
            expected.add(base + (first + 2 + i));
        }
        assertThat(ips).as("the lowest free addresses, after the network address and the gateway").isEqualTo(expected);
    }
}
