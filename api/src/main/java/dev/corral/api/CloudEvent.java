package dev.corral.api;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * A CloudEvents 1.0 event in structured JSON mode ({@code application/cloudevents+json}), the envelope of every
 * record on {@code corral.lifecycle.v1}. See asyncapi.yaml.
 *
 * @param id      unique per event and stable across retries: consumers deduplicate on it
 * @param source  who saw it happen, e.g. {@code /corral/nodes/worker-3}
 * @param type    e.g. {@code corral.vm.running}
 * @param subject the workload, e.g. {@code vm/web-1}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record CloudEvent<T>(String specversion, String id, String source, String type, Instant time, String subject,
        String datacontenttype, T data) {

    public static final String SPEC_VERSION = "1.0";
    public static final String MEDIA_TYPE = "application/cloudevents+json";
}
