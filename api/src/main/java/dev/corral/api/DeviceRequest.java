package dev.corral.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Host devices a workload asks for: {@code {class: gpu, vendor: 10de, count: 1}}.
 *
 * @param deviceClass {@code gpu}, {@code network}, {@code storage}, {@code accelerator} or another class name
 * @param vendor      PCI vendor id, 4 hex digits, optional
 * @param device      PCI device id, 4 hex digits, optional
 * @param count       how many such devices, at least 1
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DeviceRequest(@JsonProperty("class") String deviceClass, String vendor, String device, Integer count) {
}
