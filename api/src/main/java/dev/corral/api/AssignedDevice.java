package dev.corral.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A host device assigned to a workload, as lifecycle events carry it: its PCI address and the class it is
 * billed as ({@code gpu}, {@code network}, ...; see the scheduler's device classes).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AssignedDevice(String address, @JsonProperty("class") String deviceClass) {
}
