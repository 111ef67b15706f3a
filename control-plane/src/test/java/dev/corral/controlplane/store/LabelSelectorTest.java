package dev.corral.controlplane.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import dev.corral.controlplane.problem.InvalidException;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {

    private final Map<String, String> prodWeb = Map.of("env", "prod", "tier", "web");
    private final Map<String, String> prodDb = Map.of("env", "prod", "tier", "db");

    @Test
    void equalityAndInequality() {
        var s = LabelSelector.parse("env=prod,tier!=db");
        assertThat(s.matches(prodWeb)).isTrue();
        assertThat(s.matches(prodDb)).isFalse();
        assertThat(LabelSelector.parse("env==prod").matches(prodDb)).isTrue();
        assertThat(LabelSelector.parse("tier!=db").matches(Map.of())).isTrue();
    }

    @Test
    void setsAndExistence() {
        assertThat(LabelSelector.parse("tier in (web, cache)").matches(prodWeb)).isTrue();
        assertThat(LabelSelector.parse("tier notin (web,cache),env").matches(prodDb)).isTrue();
        assertThat(LabelSelector.parse("!gpu").matches(prodWeb)).isTrue();
        assertThat(LabelSelector.parse("gpu").matches(prodWeb)).isFalse();
        assertThat(LabelSelector.parse("example.com/team=infra").matches(Map.of("example.com/team", "infra"))).isTrue();
    }

    @Test
    void emptySelectsEverything() {
        assertThat(LabelSelector.parse("").matches(Map.of())).isTrue();
        assertThat(LabelSelector.parse(null).requirements()).isEmpty();
    }

    @Test
    void garbageIsAFieldError() {
        assertThatThrownBy(() -> LabelSelector.parse("env=pr od")).isInstanceOf(InvalidException.class)
                .hasMessageContaining("labelSelector");
        assertThatThrownBy(() -> LabelSelector.parse("=x")).isInstanceOf(InvalidException.class);
    }
}
