package io.remora.injector;

import io.remora.config.Durations;
import io.remora.config.IoTransport;
import io.remora.config.Sidecar;

import java.math.BigDecimal;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pod's {@code remora.io/*} annotations over the mesh's defaults. A value out of range does not refuse the pod:
 * the default is used and a warning says which annotation, what it held and what was expected (the webhook returns
 * the warnings to {@code kubectl}, {@code remora.io/status} keeps them), so a typo never blocks a rollout.
 */
record PodOverrides(MeshSettings.Resources resources, String logLevel, Duration drainTime, boolean nativeSidecar,
                    boolean rewriteAppProbes, List<Integer> excludeInboundPorts, List<Integer> excludeOutboundPorts,
                    List<String> excludeOutboundCidrs, List<String> includeOutboundCidrs, MeshSettings.Tracing tracing,
                    String transport, List<String> warnings) {
    static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");
    /** The Sidecar's {@code transport} values, as config spells them. */
    static final List<String> TRANSPORTS = Arrays.stream(IoTransport.values()).map(IoTransport::configName).toList();
    /** The longest drain an annotation may ask for; a pod's grace period must still exceed it. */
    static final Duration MAX_DRAIN_TIME = Duration.ofMinutes(10);
    private static final Pattern CPU = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(m?)");
    private static final Pattern MEMORY = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(|k|M|G|T|Ki|Mi|Gi|Ti)");

    static PodOverrides of(Map<String, String> annotations, MeshSettings mesh) {
        List<String> warnings = new ArrayList<>();
        Reader r = new Reader(annotations, warnings);
        MeshSettings.Resources d = mesh.resources();
        String cpu = r.quantity(Annotations.PROXY_CPU, d.cpuRequest(), CPU, "a CPU quantity like 100m or 0.5");
        String cpuLimit = r.quantity(Annotations.PROXY_CPU_LIMIT, d.cpuLimit(), CPU, "a CPU quantity like 500m or 2");
        String memory = r.quantity(Annotations.PROXY_MEMORY, d.memoryRequest(), MEMORY,
                "a memory quantity like 64Mi or 1Gi");
        String memoryLimit = r.quantity(Annotations.PROXY_MEMORY_LIMIT, d.memoryLimit(), MEMORY,
                "a memory quantity like 128Mi or 1Gi");
        // Kubernetes refuses a pod whose request exceeds its limit: the limit is raised to the request.
        if (cpuLimit != null && amount(cpu, CPU).compareTo(amount(cpuLimit, CPU)) > 0) {
            warnings.add("the proxy's CPU request " + cpu + " exceeds its limit " + cpuLimit
                    + "; the limit is raised to " + cpu);
            cpuLimit = cpu;
        }
        if (memoryLimit != null && amount(memory, MEMORY).compareTo(amount(memoryLimit, MEMORY)) > 0) {
            warnings.add("the proxy's memory request " + memory + " exceeds its limit " + memoryLimit
                    + "; the limit is raised to " + memory);
            memoryLimit = memory;
        }
        String level = annotations.get(Annotations.LOG_LEVEL);
        if (level == null) {
            level = mesh.logLevel();
        } else if (!LOG_LEVELS.contains(level.trim().toLowerCase(Locale.ROOT))) {
            warnings.add(Annotations.LOG_LEVEL + ": got \"" + level + "\", expected one of trace, debug, info, warn,"
                    + " error; using " + mesh.logLevel());
            level = mesh.logLevel();
        } else {
            level = level.trim().toLowerCase(Locale.ROOT);
        }
        return new PodOverrides(new MeshSettings.Resources(cpu, memory, cpuLimit, memoryLimit), level,
                r.drainTime(mesh.drainTime()), r.bool(Annotations.NATIVE_SIDECAR, mesh.nativeSidecar()),
                r.bool(Annotations.REWRITE_APP_PROBERS, mesh.rewriteAppProbes()),
                r.ports(Annotations.EXCLUDE_INBOUND_PORTS), r.ports(Annotations.EXCLUDE_OUTBOUND_PORTS),
                r.cidrs(Annotations.EXCLUDE_OUTBOUND_CIDRS, false), r.cidrs(Annotations.INCLUDE_OUTBOUND_CIDRS, true),
                r.tracing(mesh.tracing()), r.transport(), List.copyOf(warnings));
    }

    /** The drain time clamped below the pod's grace period (the proxy must have exited before SIGKILL). */
    PodOverrides withGracePeriod(long graceSeconds) {
        if (graceSeconds < 0 || drainTime.getSeconds() < graceSeconds) {
            return this;
        }
        Duration clamped = Duration.ofSeconds(Math.max(0, graceSeconds - 1));
        List<String> w = new ArrayList<>(warnings);
        w.add("drain time " + Durations.format(drainTime) + " does not fit terminationGracePeriodSeconds "
                + graceSeconds + "; the proxy drains for " + Durations.format(clamped));
        return new PodOverrides(resources, logLevel, clamped, nativeSidecar, rewriteAppProbes, excludeInboundPorts,
                excludeOutboundPorts, excludeOutboundCidrs, includeOutboundCidrs, tracing, transport, List.copyOf(w));
    }

    private static BigDecimal amount(String quantity, Pattern p) {
        Matcher m = p.matcher(quantity);
        if (!m.matches()) {
            return BigDecimal.ZERO;
        }
        BigDecimal n = new BigDecimal(m.group(1));
        return switch (m.group(2)) {
            case "m" -> n.movePointLeft(3);
            case "k" -> n.movePointRight(3);
            case "M" -> n.movePointRight(6);
            case "G" -> n.movePointRight(9);
            case "T" -> n.movePointRight(12);
            case "Ki" -> n.multiply(BigDecimal.valueOf(1L << 10));
            case "Mi" -> n.multiply(BigDecimal.valueOf(1L << 20));
            case "Gi" -> n.multiply(BigDecimal.valueOf(1L << 30));
            case "Ti" -> n.multiply(BigDecimal.valueOf(1L << 40));
            default -> n;
        };
    }

    /** Reads annotations, adding a warning (and taking the default) for each value out of range. */
    private record Reader(Map<String, String> annotations, List<String> warnings) {
        String quantity(String name, String fallback, Pattern p, String expected) {
            String v = annotations.get(name);
            if (v == null) {
                return fallback;
            }
            if (!p.matcher(v.trim()).matches() || amount(v.trim(), p).signum() == 0) {
                warnings.add(name + ": got \"" + v + "\", expected " + expected + " above zero; using "
                        + (fallback == null ? "none" : fallback));
                return fallback;
            }
            return v.trim();
        }

        boolean bool(String name, boolean fallback) {
            String v = annotations.get(name);
            if (v == null) {
                return fallback;
            }
            return switch (v.trim().toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> {
                    warnings.add(name + ": got \"" + v + "\", expected \"true\" or \"false\"; using " + fallback);
                    yield fallback;
                }
            };
        }

        /** The transport the pod asks for, as config spells it; null (the proxy's own default) when none or bad. */
        String transport() {
            String v = annotations.get(Annotations.TRANSPORT);
            if (v == null) {
                return null;
            }
            String t = v.trim().toLowerCase(Locale.ROOT).replace('_', '-');
            if (TRANSPORTS.contains(t)) {
                return t;
            }
            warnings.add(Annotations.TRANSPORT + ": got \"" + v + "\", expected one of " + String.join(", ", TRANSPORTS)
                    + "; using auto");
            return null;
        }

        Duration drainTime(Duration fallback) {
            String v = annotations.get(Annotations.DRAIN_TIME);
            if (v == null) {
                return fallback;
            }
            try {
                Duration d = Durations.parse(v.trim());
                if (!d.isNegative() && d.compareTo(MAX_DRAIN_TIME) <= 0) {
                    return d;
                }
            } catch (IllegalArgumentException e) {
                // reported below
            }
            warnings.add(Annotations.DRAIN_TIME + ": got \"" + v + "\", expected a duration from 0s to "
                    + Durations.format(MAX_DRAIN_TIME) + " like 5s or 1m; using " + Durations.format(fallback));
            return fallback;
        }

        /**
         * The mesh's tracing with the pod's {@code remora.io/tracing-*} annotations over it, each on its own (Istio's
         * {@code proxy.istio.io/config} tracing override, one setting per annotation as the others here are).
         */
        MeshSettings.Tracing tracing(MeshSettings.Tracing mesh) {
            String collector = checked(Annotations.TRACING_COLLECTOR, mesh.collector(),
                    MeshSettings.Tracing::isCollector, Sidecar.Tracing.COLLECTOR_URL);
            String sampling = checked(Annotations.TRACING_SAMPLING, mesh.sampling(),
                    MeshSettings.Tracing::isSampling, MeshSettings.Tracing.SAMPLING);
            if (collector == null && annotations.containsKey(Annotations.TRACING_SAMPLING)) {
                warnings.add(Annotations.TRACING_SAMPLING + ": no collector (" + Annotations.TRACING_COLLECTOR
                        + ", or the injector's --tracing-collector), so tracing stays off");
            }
            return new MeshSettings.Tracing(collector, sampling);
        }

        private String checked(String name, String fallback, java.util.function.Predicate<String> valid,
                               String expected) {
            String v = annotations.get(name);
            if (v == null) {
                return fallback;
            }
            if (!valid.test(v.trim())) {
                warnings.add(name + ": got \"" + v + "\", expected " + expected + "; using "
                        + (fallback == null ? "none" : fallback));
                return fallback;
            }
            return v.trim();
        }

        List<Integer> ports(String name) {
            List<Integer> out = new ArrayList<>();
            for (String item : items(name)) {
                int port = item.matches("[0-9]{1,5}") ? Integer.parseInt(item) : -1;
                if (port < 1 || port > 65535) {
                    warnings.add(name + ": ignored \"" + item + "\", expected ports 1-65535 separated by commas");
                } else if (!out.contains(port)) {
                    out.add(port);
                }
            }
            return List.copyOf(out);
        }

        List<String> cidrs(String name, boolean starAllowed) {
            List<String> out = new ArrayList<>();
            for (String item : items(name)) {
                if (starAllowed && item.equals("*") || isCidr(item)) {
                    out.add(item);
                } else {
                    warnings.add(name + ": ignored \"" + item + "\", expected CIDRs like 10.0.0.0/8 or fd00::/8"
                            + (starAllowed ? " (or *)" : "") + " separated by commas");
                }
            }
            return List.copyOf(out);
        }

        private List<String> items(String name) {
            String v = annotations.get(name);
            List<String> out = new ArrayList<>();
            if (v != null) {
                for (String item : v.split(",")) {
                    if (!item.isBlank()) {
                        out.add(item.trim());
                    }
                }
            }
            return out;
        }
    }

    static boolean isCidr(String text) {
        int slash = text.indexOf('/');
        String address = slash < 0 ? text : text.substring(0, slash);
        boolean v6 = address.contains(":");
        if (!(v6 ? address.matches("[0-9a-fA-F:.]+") : address.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}"))) {
            return false;
        }
        try {
            InetAddress.getByName(address); // a literal: no lookup happens
        } catch (UnknownHostException e) {
            return false;
        }
        if (slash < 0) {
            return true;
        }
        String bits = text.substring(slash + 1);
        return bits.matches("[0-9]{1,3}") && Integer.parseInt(bits) <= (v6 ? 128 : 32);
    }
}
