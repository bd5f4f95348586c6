package io.remora.launcher.init;

import io.remora.launcher.init.Iptables.InitException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code remora init}: the pod's init container. Installs the nat rules that send the pod's TCP through its sidecar
 * ({@link InterceptionRules}) as one transaction per address family, on the iptables backend the node uses; a
 * re-run replaces them, {@code --cleanup} removes them, {@code --dry-run} prints them. Every option also comes from
 * the environment ({@code REMORA_INIT_*}), which is how the injector passes pod annotations.
 */
@Command(name = "init",
        description = "Install the iptables rules that send a pod's TCP through its sidecar (the init container).")
public final class InitCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--inbound-ports", defaultValue = "${env:REMORA_INIT_INBOUND_PORTS:-*}",
            description = "Ports captured inbound, comma-separated, or * for all (default: ${DEFAULT-VALUE}).")
    String inboundPorts;

    @Option(names = "--exclude-inbound-ports", defaultValue = "${env:REMORA_INIT_EXCLUDE_INBOUND_PORTS:-}",
            description = "Ports never captured inbound, besides the sidecar's own 15020, 15021 and 15000.")
    String excludeInboundPorts;

    @Option(names = "--exclude-outbound-ports", defaultValue = "${env:REMORA_INIT_EXCLUDE_OUTBOUND_PORTS:-}",
            description = "Destination ports never captured outbound.")
    String excludeOutboundPorts;

    @Option(names = "--exclude-outbound-cidrs", defaultValue = "${env:REMORA_INIT_EXCLUDE_OUTBOUND_CIDRS:-}",
            description = "Destinations (CIDRs) never captured outbound.")
    String excludeOutboundCidrs;

    @Option(names = "--include-outbound-cidrs", defaultValue = "${env:REMORA_INIT_INCLUDE_OUTBOUND_CIDRS:-*}",
            description = "Destinations captured outbound, or * for all (default: ${DEFAULT-VALUE}).")
    String includeOutboundCidrs;

    @Option(names = "--proxy-uid", defaultValue = "${env:REMORA_INIT_PROXY_UID:-1337}",
            description = "The sidecar's uid: its own connections are never captured (default: ${DEFAULT-VALUE}).")
    int proxyUid;

    @Option(names = "--proxy-gid", defaultValue = "${env:REMORA_INIT_PROXY_GID:-1337}",
            description = "The sidecar's gid (default: ${DEFAULT-VALUE}).")
    int proxyGid;

    @Option(names = "--inbound-port", defaultValue = "15006",
            description = "The sidecar's inbound listener (default: ${DEFAULT-VALUE}).")
    int inboundPort;

    @Option(names = "--outbound-port", defaultValue = "15001",
            description = "The sidecar's outbound capture listener (default: ${DEFAULT-VALUE}).")
    int outboundPort;

    @Option(names = "--ipv6", defaultValue = "${env:REMORA_INIT_IPV6:-false}",
            description = "Also install the IPv6 rules (ip6tables), for dual-stack and IPv6 pods.")
    boolean ipv6;

    @Option(names = "--iptables-mode", defaultValue = "${env:REMORA_INIT_IPTABLES_MODE:-auto}",
            description = "auto (the backend the node uses), nft or legacy (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--dry-run", description = "Print the rules instead of installing them.")
    boolean dryRun;

    @Option(names = "--cleanup", description = "Remove the rules installed before.")
    boolean cleanup;

    /** The sidecar's own ports: health, metrics and admin are never sent to its inbound listener. */
    static final List<Integer> OWN_PORTS = List.of(15020, 15021, 15000);

    private final Iptables.Runner runner;

    public InitCommand() {
        this(Iptables.PROCESSES);
    }

    InitCommand(Iptables.Runner runner) {
        this.runner = runner;
    }

    @Override
    public Integer call() {
        InterceptionRules.Settings settings;
        try {
            settings = settings();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (dryRun && !cleanup) {
            System.out.print(InterceptionRules.restore(settings, true, false));
            if (ipv6) {
                System.out.print(InterceptionRules.restore(settings, true, true));
            }
            return 0;
        }
        try {
            Iptables iptables = Iptables.detect(runner, mode);
            for (boolean v6 : ipv6 ? new boolean[] {false, true} : new boolean[] {false}) {
                String save = iptables.saveNat(v6);
                boolean prerouting = Iptables.hasJump(save, "PREROUTING", InterceptionRules.INBOUND);
                boolean output = Iptables.hasJump(save, "OUTPUT", InterceptionRules.OUTPUT);
                if (cleanup) {
                    iptables.restore(InterceptionRules.cleanup(prerouting, output), v6);
                } else {
                    if (prerouting != output) {
                        // One jump without the other (an edit by hand): start again from none.
                        iptables.restore(InterceptionRules.cleanup(prerouting, output), v6);
                        prerouting = false;
                        output = false;
                    }
                    iptables.restore(InterceptionRules.restore(settings, !(prerouting && output), v6), v6);
                }
            }
            System.out.println("remora init: " + (cleanup ? "removed" : "installed") + " the interception rules"
                    + " (iptables-" + iptables.backend().label + (ipv6 ? ", IPv4 and IPv6" : ", IPv4") + ")");
            return 0;
        } catch (InitException e) {
            System.err.println("remora init: " + e.getMessage());
            return 1;
        }
    }

    InterceptionRules.Settings settings() {
        List<Integer> excludedInbound = new ArrayList<>(OWN_PORTS);
        for (int p : ports("--exclude-inbound-ports", excludeInboundPorts)) {
            if (!excludedInbound.contains(p)) {
                excludedInbound.add(p);
            }
        }
        return new InterceptionRules.Settings(
                "*".equals(inboundPorts.strip()) ? List.of() : ports("--inbound-ports", inboundPorts),
                excludedInbound, ports("--exclude-outbound-ports", excludeOutboundPorts),
                cidrs("--exclude-outbound-cidrs", excludeOutboundCidrs),
                "*".equals(includeOutboundCidrs.strip()) ? List.of()
                        : cidrs("--include-outbound-cidrs", includeOutboundCidrs),
                id("--proxy-uid", proxyUid), id("--proxy-gid", proxyGid), port("--inbound-port", inboundPort),
                port("--outbound-port", outboundPort));
    }

    static List<Integer> ports(String option, String text) {
        List<Integer> ports = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            if (p.isEmpty()) {
                continue;
            }
            try {
                ports.add(port(option, Integer.parseInt(p)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + p + "' is not a port (expected 1-65535)");
            }
        }
        return ports;
    }

    private static int port(String option, int p) {
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException(option + ": " + p + " is not a port (expected 1-65535)");
        }
        return p;
    }

    private static int id(String option, int id) {
        if (id < 0) {
            throw new IllegalArgumentException(option + ": " + id + " is not a uid/gid (expected 0 or more)");
        }
        return id;
    }

    /** Comma-separated CIDRs ({@code 10.0.0.0/8}, {@code fd00::/8}; a bare address is one host). */
    static List<String> cidrs(String option, String text) {
        List<String> cidrs = new ArrayList<>();
        for (String part : text.split(",")) {
            String c = part.strip();
            if (c.isEmpty()) {
                continue;
            }
            int slash = c.indexOf('/');
            String address = slash < 0 ? c : c.substring(0, slash);
            boolean v6 = address.indexOf(':') >= 0;
            int max = v6 ? 128 : 32;
            int bits = max;
            try {
                if (slash >= 0) {
                    bits = Integer.parseInt(c.substring(slash + 1));
                }
                if (bits < 0 || bits > max || !(address.matches("[0-9.]+") || v6 && address.matches("[0-9a-fA-F:.]+"))) {
                    throw new NumberFormatException();
                }
                InetAddress.getByName(address);
            } catch (NumberFormatException | UnknownHostException e) {
                throw new IllegalArgumentException(option + ": '" + c + "' is not a CIDR (expected e.g. 10.0.0.0/8 or"
                        + " fd00::/8)");
            }
            cidrs.add(address + "/" + bits);
        }
        return cidrs;
    }
}
