package dev.corral.agent.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.corral.engine.host.Accelerator;
import dev.corral.engine.vm.VmAccelerator;
import org.junit.jupiter.api.Test;

/** What runs a node's VMs, from the agent's setting and what the host offers. */
class AcceleratorChoiceTest {

    @Test
    void autoIsKvmOnlyWhereTheCpuVirtualizes() {
        assertThat(EngineRuntime.accelerator(VmAccelerator.AUTO, Accelerator.KVM_HARDWARE)).isEqualTo(VmAccelerator.AUTO);
        assertThat(EngineRuntime.accelerator(VmAccelerator.AUTO, Accelerator.KVM_PVM)).isEqualTo(VmAccelerator.EMULATED);
        assertThat(EngineRuntime.accelerator(VmAccelerator.AUTO, Accelerator.EMULATED_ONLY)).isEqualTo(VmAccelerator.EMULATED);
    }

    @Test
    void anExplicitSettingIsTakenAsItIs() {
        for (var host : Accelerator.values()) {
            assertThat(EngineRuntime.accelerator(VmAccelerator.KVM, host)).isEqualTo(VmAccelerator.KVM);
            assertThat(EngineRuntime.accelerator(VmAccelerator.EMULATED, host)).isEqualTo(VmAccelerator.EMULATED);
        }
    }
}
