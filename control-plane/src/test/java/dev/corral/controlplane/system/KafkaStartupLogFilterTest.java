package dev.corral.controlplane.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletionException;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

class KafkaStartupLogFilterTest {

    private static final String REFUSAL = "[ControllerApis nodeId=1] Unexpected error handling request RequestHeader(apiKey=CONTROLLER_REGISTRATION, "
            + "apiVersion=0, clientId=1, correlationId=0, headerVersion=2) -- ControllerRegistrationRequestData(controllerId=1)";

    private final KafkaStartupLogFilter filter = new KafkaStartupLogFilter();

    @Test
    void controllerRegistrationRefusedBeforeTheControllerTookOfficeIsDropped() {
        assertThat(filter.isLoggable(record(Level.SEVERE, KafkaStartupLogFilter.LOGGER, REFUSAL,
                new CompletionException(new NotControllerException("The active controller appears to be node 1."))))).isFalse();
    }

    @Test
    void everyOtherErrorOfTheControllerPasses() {
        assertThat(filter.isLoggable(record(Level.SEVERE, KafkaStartupLogFilter.LOGGER, REFUSAL,
                new CompletionException(new TimeoutException("slow"))))).isTrue();
        assertThat(filter.isLoggable(record(Level.SEVERE, KafkaStartupLogFilter.LOGGER,
                REFUSAL.replace("CONTROLLER_REGISTRATION", "BROKER_HEARTBEAT"), new NotControllerException("not me")))).isTrue();
        assertThat(filter.isLoggable(record(Level.SEVERE, "kafka.server.KafkaApis", REFUSAL, new NotControllerException("not me")))).isTrue();
        assertThat(filter.isLoggable(record(Level.SEVERE, KafkaStartupLogFilter.LOGGER, REFUSAL, null))).isTrue();
        assertThat(filter.isLoggable(record(Level.INFO, "dev.corral", "hello", null))).isTrue();
    }

    private static LogRecord record(Level level, String logger, String message, Throwable thrown) {
        var r = new LogRecord(level, message);
        r.setLoggerName(logger);
        r.setThrown(thrown);
        return r;
    }
}
