package io.remora.launcher.init;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The rules as {@code iptables-restore} reads them, against golden files in {@code src/test/resources/init}. After a
 * deliberate change, refresh them with {@code mvn -pl launcher -am test -Dtest=InterceptionRulesTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dgolden.update=true} and review the diff.
 */
class InterceptionRulesTest {
    private static final Path GOLDEN = Path.of("src/test/resources/init");

    private static void assertGolden(String name, String actual) throws Exception {
        Path file = GOLDEN.resolve(name);
        if (Boolean.getBoolean("golden.update")) {
            Files.writeString(file, actual);
        }
        assertThat(actual).as("%s is stale; refresh: mvn -pl launcher -am test -Dtest=InterceptionRulesTest"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dgolden.update=true", file)
                .isEqualTo(Files.readString(file));
    }

    private static InitCommand command(String... args) {
        InitCommand c = new InitCommand();
        new picocli.CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void theDefaultCapturesAllTcpButTheSidecarsOwn() throws Exception {
        assertGolden("default.rules", InterceptionRules.restore(command().settings(), true, false));
    }

    @Test
    void exclusionsAndInclusionsBecomeReturnsAndARerunAddsNoSecondJump() throws Exception {
        InterceptionRules.Settings s = command("--inbound-ports", "8080,9090", "--exclude-inbound-ports", "9100",
                "--exclude-outbound-ports", "3306, 6379", "--exclude-outbound-cidrs", "169.254.169.254,fd00::/8",
                "--include-outbound-cidrs", "10.0.0.0/8", "--proxy-uid", "2102", "--proxy-gid", "2103").settings();
        assertGolden("exclusions.rules", InterceptionRules.restore(s, true, false));
        assertThat(InterceptionRules.restore(s, false, false)).doesNotContain("-A PREROUTING", "-A OUTPUT -p tcp -j");
    }

    @Test
    void ipv6UsesItsLoopbackItsPassthroughAddressAndOnlyItsCidrs() throws Exception {
        InterceptionRules.Settings s = command("--exclude-outbound-cidrs", "169.254.169.254/32,fd00:ec2::254")
                .settings();
        assertGolden("ipv6.rules", InterceptionRules.restore(s, true, true));
    }

    @Test
    void cleanupRemovesTheJumpsThatAreThereAndTheChains() throws Exception {
        assertGolden("cleanup.rules", InterceptionRules.cleanup(true, true));
    }

    @Test
    void badPortsAndCidrsAreNamed() {
        assertThatThrownBy(() -> command("--exclude-outbound-ports", "80,http").settings())
                .hasMessage("--exclude-outbound-ports: 'http' is not a port (expected 1-65535)");
        assertThatThrownBy(() -> command("--inbound-ports", "70000").settings())
                .hasMessage("--inbound-ports: 70000 is not a port (expected 1-65535)");
        assertThatThrownBy(() -> command("--exclude-outbound-cidrs", "10.0.0.0/33").settings())
                .hasMessageStartingWith("--exclude-outbound-cidrs: '10.0.0.0/33' is not a CIDR");
        assertThatThrownBy(() -> command("--include-outbound-cidrs", "example.com").settings())
                .hasMessageStartingWith("--include-outbound-cidrs: 'example.com' is not a CIDR");
    }

    @Test
    void aFailedTransactionIsOneLineWithWhatToCheck() {
        Iptables.Result noNat = new Iptables.Result(1, "", "iptables-restore v1.8.9 (nf_tables): can't initialize"
                + " iptables table `nat': Table does not exist (do you need to insmod?)\nPerhaps iptables or your"
                + " kernel needs to be upgraded.\n");
        assertThat(Iptables.failure(List.of("iptables-nft-restore", "--noflush"), noNat).getMessage())
                .isEqualTo("iptables-nft-restore --noflush failed: iptables-restore v1.8.9 (nf_tables): can't"
                        + " initialize iptables table `nat': Table does not exist (do you need to insmod?); the node"
                        + " lacks the nat table: load its kernel modules (iptable_nat / nf_nat, and ip6table_nat for"
                        + " IPv6)")
                .doesNotContain("\n");
        Iptables.Result denied = new Iptables.Result(4, "", "iptables-restore: unable to initialize table 'nat'\n"
                + "Error occurred at line: 1\nTry `iptables-restore -h' for more information.\nPermission denied"
                + " (you must be root)\n");
        assertThat(Iptables.failure(List.of("iptables-nft-restore", "--noflush"), denied).getMessage())
                .endsWith("the init container needs uid 0 and the NET_ADMIN and NET_RAW capabilities");
    }
}
