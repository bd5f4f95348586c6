package io.remora.bench;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.remora.certs.Csr;
import io.remora.certs.KeyPairs;
import io.remora.certs.Pem;
import io.remora.certs.SvidTrustManager;
import io.remora.certs.TrustBundle;
import io.remora.protocol.CertificateRequest;
import io.remora.protocol.CertificateResponse;
import io.remora.protocol.MeshProtocol;
import io.remora.protocol.Node;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The control-plane scale benchmark's client side: N simulated sidecars in this one process, each with its own
 * bootstrap token, certificate (from {@code SignCertificate}), TLS connection and {@code Subscribe} stream, against
 * a control plane running in its own process (started by {@code bench/control-plane.sh}). Once every sidecar has
 * ACKed its initial snapshot, it rewrites the Route file in the control plane's watched directory R times and
 * measures convergence from the file write to each sidecar's receipt of the new snapshot, on this process's one
 * clock; it also reads the control plane's own convergence histogram, and its memory before and after the
 * sidecars connected. Speaks only remora-protocol: no control-plane class is used.
 *
 * <pre>
 * ScaleSimulator mesh --dir DIR [--services 20]          write the benchmark's mesh files
 * ScaleSimulator run --port P --admin-port A --root ROOT.pem --tokens FILE --mesh-dir DIR --cp-pid PID
 *                    [--sidecars 1000] [--changes 5] [--interval 3] [--transparent 0.5] [--workloads N]
 *                    [--warmup 0] [--cp-log FILE] [--diagnose DIR] [--quiet-pct 15] [--quiet-max 120]
 *                    [--sign-parallel 8] [--connect-parallel 64] [--event-loops 1] [--callback-threads 2]
 * </pre>
 * {@code --transparent F}: every round(1/F)-th sidecar has {@code calls} = null (0: none); {@code --workloads K}:
 * sidecar i is workload {@code sim-(i mod K)} (default: one name each).
 */
public final class ScaleSimulator {
    private static final PrintStream OUT = System.out;
    private static final String CONVERGENCE = "remora_cp_convergence_seconds";

    private final Map<String, String> args;
    private final int n;
    private final int changes;
    private final long intervalMs;
    private final double transparent;
    private final int workloads;
    private final long cpPid;
    private final Path meshDir;
    private final String metricsUrl;
    private final int warmup;
    private final Path cpLog;
    private final Path diagnose;
    private int stale;

    private ScaleSimulator(Map<String, String> args) {
        this.args = args;
        this.n = Integer.parseInt(args.getOrDefault("sidecars", "1000"));
        this.changes = Integer.parseInt(args.getOrDefault("changes", "5"));
        this.intervalMs = Math.round(Double.parseDouble(args.getOrDefault("interval", "3")) * 1000);
        this.transparent = Double.parseDouble(args.getOrDefault("transparent", "0.5"));
        this.workloads = Integer.parseInt(args.getOrDefault("workloads", Integer.toString(n)));
        this.cpPid = Long.parseLong(required("cp-pid"));
        this.meshDir = Path.of(required("mesh-dir"));
        this.metricsUrl = "http://127.0.0.1:" + required("admin-port") + "/stats/prometheus";
        this.warmup = Integer.parseInt(args.getOrDefault("warmup", "0"));
        this.cpLog = args.containsKey("cp-log") ? Path.of(args.get("cp-log")) : null;
        this.diagnose = args.containsKey("diagnose") ? Path.of(args.get("diagnose")) : null;
        if (changes + warmup > 80) {
            throw new IllegalArgumentException("--changes plus --warmup: at most 80 (each change sets distinct weights)");
        }
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0 || !(argv[0].equals("mesh") || argv[0].equals("run"))) {
            System.err.println("usage: ScaleSimulator mesh --dir DIR [--services 20] | run --port P --admin-port A"
                    + " --root ROOT.pem --tokens FILE --mesh-dir DIR --cp-pid PID [--sidecars N] [--changes R] ...");
            System.exit(2);
        }
        Set<String> known = argv[0].equals("mesh") ? Set.of("dir", "services") : Set.of("port", "admin-port", "root",
                "tokens", "mesh-dir", "cp-pid", "sidecars", "changes", "interval", "transparent", "workloads", "warmup",
                "cp-log", "diagnose", "quiet-pct", "quiet-max", "sign-parallel", "connect-parallel", "event-loops",
                "callback-threads");
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 1; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length || !known.contains(argv[i].substring(2))) {
                System.err.println("expected --name value with a name of " + new TreeSet<>(known) + ", got " + argv[i]);
                System.exit(2);
            }
            args.put(argv[i].substring(2), argv[++i]);
        }
        if (argv[0].equals("mesh")) {
            MeshFiles.write(Path.of(args.get("dir")), Integer.parseInt(args.getOrDefault("services", "20")));
            return;
        }
        int status = new ScaleSimulator(args).run();
        System.exit(status);
    }

    private String required(String name) {
        String v = args.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }

    private int run() throws Exception {
        ProcessMemory memory = new ProcessMemory(cpPid);
        ProcessMemory.Sample baseline = memory.settledSample();
        if (diagnose != null) {
            memory.dump(diagnose, "none");
        }
        log("control plane pid %d before any sidecar: RSS %.1f MB, heap used %.1f MB (after GC)", cpPid,
                mb(baseline.rssKb()), mb(baseline.heapUsedKb()));

        boolean epoll = Epoll.isAvailable();
        int loops = Integer.parseInt(args.getOrDefault("event-loops", "1"));
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(loops,
                epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
        Class<? extends SocketChannel> channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        ExecutorService callbacks = Executors.newFixedThreadPool(
                Integer.parseInt(args.getOrDefault("callback-threads", "2")), r -> {
                    Thread t = new Thread(r, "sim-callback");
                    t.setDaemon(true);
                    return t;
                });
        Path root = Path.of(required("root"));
        TrustBundle bundle = TrustBundle.of(root.toString(), Pem.readCertificates(root));
        SslProvider provider = OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
        SimSidecar.Transport transport = new SimSidecar.Transport("127.0.0.1", Integer.parseInt(required("port")),
                group, channelType, callbacks, new SvidTrustManager(bundle, Clock.systemUTC()), provider);
        log("%d simulated sidecars; transport %s, %d event loop(s), %s TLS, %s callback thread(s)", n,
                epoll ? "epoll" : "nio", loops, provider, args.getOrDefault("callback-threads", "2"));

        // 1. Tokens: one line per sidecar, appended in one write (the control plane re-reads the file on change).
        List<SimSidecar> sims = new ArrayList<>(n);
        List<String> tokens = new ArrayList<>(n);
        StringBuilder lines = new StringBuilder();
        SecureRandom random = new SecureRandom();
        int transparentCount = 0;
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[24];
            random.nextBytes(b);
            String token = HexFormat.of().formatHex(b);
            tokens.add(token);
            lines.append(MeshFiles.NAMESPACE).append("/sim-").append(i).append(' ').append(token).append('\n');
            // Every k-th sidecar is transparent (calls = null: gets the whole mesh), the rest call reviews.bench.
            boolean all = transparent > 0 && (i % Math.max(1, Math.round(1 / transparent))) == 0;
            transparentCount += all ? 1 : 0;
            Node node = new Node(MeshFiles.NAMESPACE, "sim-" + (i % workloads), all ? null : List.of(MeshFiles.CALLED));
            sims.add(new SimSidecar(i, node, KeyPairs.ecP256()));
        }
        Files.writeString(Path.of(required("tokens")), lines, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        log("%d tokens written; %d sidecars transparent (calls = null), %d call %s; %d distinct workload names",
                n, transparentCount, n - transparentCount, MeshFiles.CALLED, Math.min(n, workloads));

        // 2. Certificates: SignCertificate over one channel without a client certificate, a few at a time.
        Phase signing = new Phase(cpPid).start();
        sign(transport, sims, tokens, Integer.parseInt(args.getOrDefault("sign-parallel", "8")));
        signing.stop();
        log("%d certificates signed: %s", n, signing.describe());

        // 3. Subscribe: each its own TLS connection presenting its certificate; wait for every initial snapshot.
        //    In two halves, with the memory sampled between them: the second half's growth is the marginal cost of
        //    a connected proxy, free of one-time costs (classes loaded, code compiled, pools created).
        int half = n / 2;
        Phase subscribing = new Phase(cpPid).start();
        if (!subscribeAll(transport, sims.subList(0, half))) {
            return 1;
        }
        subscribing.stop();
        waitConnected(half);
        Thread.sleep(2000);
        ProcessMemory.Sample withHalf = memory.settledSample();
        log("with %d connected: RSS %.1f MB, heap used %.1f MB (after GC)", half, mb(withHalf.rssKb()),
                mb(withHalf.heapUsedKb()));
        subscribing.start();
        if (!subscribeAll(transport, sims.subList(half, n))) {
            return 1;
        }
        subscribing.stop();
        int connected = waitConnected(n);
        log("%d sidecars subscribed and got their initial snapshot (control plane counts %d connected): %s", n,
                connected, subscribing.describe());
        int scopedChars = sims.stream().filter(s -> s.node.calls() != null).findFirst().map(s -> s.receipt(0).chars())
                .orElse(0);
        int allChars = sims.stream().filter(s -> s.node.calls() == null).findFirst().map(s -> s.receipt(0).chars())
                .orElse(0);

        // 4. Memory with N connected, after the ACKs are in and a full GC.
        Thread.sleep(2000);
        ProcessMemory.Sample withN = memory.settledSample();
        log("with %d connected: RSS %.1f MB, heap used %.1f MB (after GC)", n, mb(withN.rssKb()),
                mb(withN.heapUsedKb()));
        if (diagnose != null) {
            memory.dump(diagnose, "all");
        }

        // 5. Route changes: write the file, wait for every sidecar's new snapshot, R times (after W discarded);
        //    first wait (a bounded time) until other tenants of the machine are quiet.
        String quiet = awaitQuiet(Integer.parseInt(args.getOrDefault("quiet-pct", "15")),
                Integer.parseInt(args.getOrDefault("quiet-max", "120")));
        log("before the changes: %s", quiet);
        for (int k = 1; k <= warmup; k++) {
            if (change(sims, k, null) == null) {
                return 1;
            }
            Thread.sleep(intervalMs);
        }
        if (diagnose != null) {
            memory.jcmd("JFR.start", "name=changes", "settings=profile");
        }
        PromHistogram before = PromHistogram.scrape(metricsUrl, CONVERGENCE);
        long[] all = new long[n * changes];
        List<String> perChange = new ArrayList<>();
        Phase changing = new Phase(cpPid).start();
        for (int k = warmup + 1; k <= warmup + changes; k++) {
            long[] us = change(sims, k, perChange);
            if (us == null) {
                return 1;
            }
            System.arraycopy(us, 0, all, (k - warmup - 1) * n, n);
            Thread.sleep(intervalMs);
        }
        changing.stop();
        PromHistogram cp = PromHistogram.scrape(metricsUrl, CONVERGENCE).minus(before);
        if (diagnose != null) {
            memory.jcmd("JFR.stop", "name=changes", "filename=" + diagnose.toAbsolutePath().resolve("changes.jfr"));
        }
        ProcessMemory.Sample after = memory.sample();

        // 6. Report.
        Percentiles p = new Percentiles(all);
        OUT.println();
        OUT.printf(Locale.ROOT, "N = %d simulated sidecars (%d transparent, %d scoped to %s; %d workload names), %d"
                        + " route changes %.1f s apart%s; snapshot sizes: scoped %d chars, transparent %d chars%n", n,
                transparentCount, n - transparentCount, MeshFiles.CALLED, Math.min(n, workloads), changes,
                intervalMs / 1000.0, warmup > 0 ? " after " + warmup + " discarded" : "", scopedChars, allChars);
        OUT.printf(Locale.ROOT, "- %d certificates (SignCertificate, %s at a time): %s%n", n,
                args.getOrDefault("sign-parallel", "8"), signing.describe());
        OUT.printf(Locale.ROOT, "- %d subscriptions to their initial snapshot (%s connecting at a time): %s%n", n,
                args.getOrDefault("connect-parallel", "64"), subscribing.describe());
        OUT.printf(Locale.ROOT, "- %d changes, each followed by %.1f s idle (%s): %s%n", changes,
                intervalMs / 1000.0, quiet, changing.describe());
        OUT.println();
        OUT.println("| change | weights v1/v2 | write → mesh built ms | first ms | p50 ms | p99 ms | max ms | fan-out ms |");
        OUT.println("|---:|---|---:|---:|---:|---:|---:|---:|");
        perChange.forEach(OUT::println);
        OUT.println();
        OUT.println("| convergence (all sidecar × change pairs) | p50 | p99 | max | ≤ 1 s |");
        OUT.println("|---|---:|---:|---:|---:|");
        OUT.printf(Locale.ROOT, "| file write → snapshot received (simulator clock), %d pairs | %s ms | %s ms | %s ms | %.1f %% |%n",
                p.count(), millis(p.at(50)), millis(p.at(99)), millis(p.max()),
                100.0 * p.atMost(1_000_000) / p.count());
        OUT.printf(Locale.ROOT, "| control plane `%s` (change seen → ACK), %.0f ACKs | %s | %s | %.0f ms (max gauge) | %.1f %% |%n",
                CONVERGENCE, cp.count(), cp.quantileBucket(0.5), cp.quantileBucket(0.99), cp.max() * 1000,
                100 * cp.fractionAtMost(1.0));
        if (stale > 0) {
            OUT.printf("WARNING: %d receipts carried the version the sidecar already had%n", stale);
        }
        OUT.println();
        OUT.println("| control plane memory (after a full GC) | no sidecars | " + half + " connected | " + n
                + " connected | per proxy, (N − none) / N | per proxy, marginal (second half) |");
        OUT.println("|---|---:|---:|---:|---:|---:|");
        OUT.printf(Locale.ROOT, "| RSS (VmRSS) | %.1f MB | %.1f MB | %.1f MB | %.1f KB | %.1f KB |%n",
                mb(baseline.rssKb()), mb(withHalf.rssKb()), mb(withN.rssKb()),
                (withN.rssKb() - baseline.rssKb()) / (double) n,
                (withN.rssKb() - withHalf.rssKb()) / (double) (n - half));
        OUT.printf(Locale.ROOT, "| heap used (jstat S0U+S1U+EU+OU) | %.1f MB | %.1f MB | %.1f MB | %.1f KB | %.1f KB |%n",
                mb(baseline.heapUsedKb()), mb(withHalf.heapUsedKb()), mb(withN.heapUsedKb()),
                (withN.heapUsedKb() - baseline.heapUsedKb()) / (double) n,
                (withN.heapUsedKb() - withHalf.heapUsedKb()) / (double) (n - half));
        OUT.printf(Locale.ROOT, "| heap committed | %.1f MB | %.1f MB | %.1f MB | | |%n", mb(baseline.heapCommittedKb()),
                mb(withHalf.heapCommittedKb()), mb(withN.heapCommittedKb()));
        OUT.printf(Locale.ROOT, "| metaspace used | %.1f MB | %.1f MB | %.1f MB | | |%n", mb(baseline.metaspaceUsedKb()),
                mb(withHalf.metaspaceUsedKb()), mb(withN.metaspaceUsedKb()));
        OUT.println();
        OUT.printf(Locale.ROOT, "after the changes: RSS %.1f MB, peak RSS (VmHWM) %.1f MB%n", mb(after.rssKb()),
                mb(after.hwmKb()));
        OUT.println();
        double rssPer = (withN.rssKb() - baseline.rssKb()) / 1024.0 / n;
        double p99 = p.at(99) / 1000.0;
        OUT.printf(Locale.ROOT, "goals: p99 convergence %.0f ms vs ≤ 1000 ms: %s; RSS per proxy %.0f KB vs ≤ 512 KB:"
                + " %s%n", p99, p99 <= 1000 ? "met" : "NOT met", rssPer * 1024, rssPer <= 0.5 ? "met" : "NOT met");

        for (SimSidecar s : sims) {
            s.close();
        }
        for (SimSidecar s : sims) {
            s.awaitClosed();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        callbacks.shutdownNow();
        return 0;
    }

    /**
     * Rewrites the route (weights 90-k / 10+k) and waits for every sidecar's next push; returns each sidecar's
     * convergence in microseconds, adding a row to {@code rows} (null: a warm-up change), or null on failure.
     */
    private long[] change(List<SimSidecar> sims, int k, List<String> rows) throws IOException, InterruptedException {
        int[] seen = new int[n];
        String[] was = new String[n];
        for (int i = 0; i < n; i++) {
            seen[i] = sims.get(i).count();
            was[i] = sims.get(i).receipt(seen[i] - 1).version();
        }
        long wall0 = System.currentTimeMillis();
        long t0 = System.nanoTime();
        MeshFiles.writeRoute(meshDir, 90 - k, 10 + k);
        long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
        for (int i = 0; i < n; i++) {
            SimSidecar s = sims.get(i);
            while (s.count() <= seen[i]) {
                if (System.nanoTime() > deadline || s.error() != null) {
                    System.err.printf("change %d: sidecar %d got no new snapshot within 60 s (error: %s)%n", k, i,
                            s.error());
                    return null;
                }
                Thread.sleep(2);
            }
        }
        long[] us = new long[n];
        for (int i = 0; i < n; i++) {
            SimSidecar.Receipt r = sims.get(i).receipt(seen[i]);
            if (r.version().equals(was[i])) {
                stale++;
            }
            us[i] = TimeUnit.NANOSECONDS.toMicros(r.nanos() - t0);
        }
        Percentiles p = new Percentiles(us);
        Long built = cpLog == null ? null : CpLog.lastMeshChanged(cpLog, wall0);
        log("change %d written at %s: mesh built +%s ms, first +%s ms, last +%s ms", k,
                java.time.Instant.ofEpochMilli(wall0), built == null ? "?" : built - wall0, millis(p.min()),
                millis(p.max()));
        if (rows != null) {
            rows.add(String.format(Locale.ROOT, "| %d | %d/%d | %s | %s | %s | %s | %s | %s |", k, 90 - k, 10 + k,
                    built == null ? "-" : Long.toString(built - wall0), millis(p.min()), millis(p.at(50)),
                    millis(p.at(99)), millis(p.max()), millis(p.max() - p.min())));
        }
        return us;
    }

    /**
     * Waits until the processes other than the control plane and this one use less than {@code pct} % of the
     * machine over 2 s, for at most {@code maxSeconds}; says how it went.
     */
    private String awaitQuiet(int pct, int maxSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
        int cores = Runtime.getRuntime().availableProcessors();
        long waited = System.nanoTime();
        double busy;
        do {
            Phase window = new Phase(cpPid).start();
            Thread.sleep(2000);
            busy = window.stop().otherTicks() * ThreadCpu.TICK_MS / 10.0 / window.seconds() / cores;
        } while (busy >= pct && System.nanoTime() < deadline);
        long s = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - waited) - 2;
        return String.format(Locale.ROOT, "other processes %.0f %% of the machine before them%s%s", busy,
                s > 0 ? " after waiting " + s + " s" : "", busy >= pct ? ", NOT QUIET" : "");
    }

    /** Subscribes {@code subset}, a bounded number at a time, and waits for every initial snapshot. */
    private boolean subscribeAll(SimSidecar.Transport transport, List<SimSidecar> subset) throws Exception {
        Semaphore connecting = new Semaphore(Integer.parseInt(args.getOrDefault("connect-parallel", "64")));
        List<CompletableFuture<Void>> firsts = new ArrayList<>(subset.size());
        for (SimSidecar s : subset) {
            connecting.acquire();
            s.subscribe(transport);
            firsts.add(s.firstPush().whenComplete((v, e) -> connecting.release()));
        }
        try {
            CompletableFuture.allOf(firsts.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            long failed = subset.stream().filter(s -> s.error() != null).count();
            long waiting = subset.stream().filter(s -> s.count() == 0).count();
            System.err.printf("subscribe phase failed: %d sidecars with an error, %d without a snapshot; first"
                    + " error: %s%n", failed, waiting, subset.stream().map(SimSidecar::error)
                    .filter(x -> x != null).findFirst().map(Throwable::toString).orElse(e.toString()));
            return false;
        }
    }

    private void sign(SimSidecar.Transport t, List<SimSidecar> sims, List<String> tokens, int parallel)
            throws Exception {
        ManagedChannel plain = NettyChannelBuilder.forAddress(t.host(), t.port())
                .sslContext(GrpcSslContexts.configure(SslContextBuilder.forClient(), t.provider())
                        .trustManager(t.trust()).endpointIdentificationAlgorithm(null).build())
                .eventLoopGroup(t.group()).channelType(t.channelType()).executor(t.executor())
                .disableRetry()
                .build();
        try {
            Semaphore inFlight = new Semaphore(parallel);
            AtomicInteger failed = new AtomicInteger();
            List<CompletableFuture<Void>> done = new ArrayList<>();
            for (int i = 0; i < sims.size(); i++) {
                SimSidecar s = sims.get(i);
                Metadata headers = new Metadata();
                headers.put(MeshProtocol.AUTHORIZATION, MeshProtocol.bearer(tokens.get(i)));
                inFlight.acquire();
                var call = ClientInterceptors.intercept(plain, MetadataUtils.newAttachHeadersInterceptor(headers))
                        .newCall(MeshProtocol.SIGN_CERTIFICATE, CallOptions.DEFAULT.withDeadlineAfter(30,
                                TimeUnit.SECONDS));
                CompletableFuture<Void> f = new CompletableFuture<>();
                done.add(f);
                var future = ClientCalls.futureUnaryCall(call, new CertificateRequest(Pem.encode(Csr.create(s.keys))));
                future.addListener(() -> {
                    try {
                        CertificateResponse r = future.get();
                        s.chain = Pem.certificates("SignCertificate", r.certificateChain());
                        f.complete(null);
                    } catch (Exception e) {
                        failed.incrementAndGet();
                        f.completeExceptionally(e);
                    } finally {
                        inFlight.release();
                    }
                }, Runnable::run);
            }
            try {
                CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(failed.get() + " SignCertificate calls failed; first: " + e, e);
            }
        } finally {
            plain.shutdownNow();
        }
    }

    /** Waits (up to 30 s) for the control plane's connected gauge to reach {@code expected}; returns its value. */
    private int waitConnected(int expected) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        int seen = -1;
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        while (System.nanoTime() < deadline) {
            String body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(metricsUrl)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith("remora_cp_connected_proxies")) {
                    seen = (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            if (seen == expected) {
                break;
            }
            Thread.sleep(200);
        }
        return seen;
    }

    private static String millis(long micros) {
        return String.format(Locale.ROOT, "%.1f", micros / 1000.0);
    }

    private static double mb(long kb) {
        return kb / 1024.0;
    }

    private static void log(String format, Object... values) {
        System.err.printf(Locale.ROOT, "[sim] " + format + "%n", values);
    }
}
