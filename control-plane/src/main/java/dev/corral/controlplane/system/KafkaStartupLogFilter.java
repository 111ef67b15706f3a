package dev.corral.controlplane.system;

import java.util.logging.Filter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

import io.quarkus.logging.LoggingFilter;
import org.apache.kafka.common.errors.NotControllerException;

/**
 * Keeps one false alarm of the embedded Kafka broker out of the log. A combined broker and KRaft controller that has
 * just started sometimes registers its broker side with its controller side before the controller has taken office:
 * the controller refuses with {@link NotControllerException} ("The active controller appears to be node 1", itself),
 * logs the refusal as an ERROR with a stack trace, and the broker retries and registers a moment later. Seen on one
 * local cloud start in eleven (CrashRecoveryIT's ten-round loop). Only that refusal is dropped; every other record,
 * of that logger too, passes.
 */
@LoggingFilter(name = "corral-kafka-startup")
public final class KafkaStartupLogFilter implements Filter {

    static final String LOGGER = "kafka.server.ControllerApis";

    @Override
    public boolean isLoggable(LogRecord record) {
        return !(record.getLevel().intValue() >= Level.SEVERE.intValue() && LOGGER.equals(record.getLoggerName())
                && record.getMessage() != null && record.getMessage().contains("apiKey=CONTROLLER_REGISTRATION")
                && causedBy(record.getThrown()));
    }

    private static boolean causedBy(Throwable t) {
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (t instanceof NotControllerException) {
                return true;
            }
        }
        return false;
    }
}
