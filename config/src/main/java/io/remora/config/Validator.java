package io.remora.config;

import io.remora.certs.SpiffeId;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The one semantic validator: checks that need more than one field, or more than one resource, once every
 * document is bound. Each error is located at the offending field. Documents whose spec did not bind still count
 * as existing (for duplicates and references) but are not checked further, so one mistake is reported once.
 *
 * <p>Who answers to which name, address and route is checked by the pass that builds the {@link MeshIndex}: this
 * class words what that pass finds at its file position, and hands the index of a valid set on to the snapshot.
 */
final class Validator implements MeshIndex.Problems<SourceMap> {
    private static final String SERVICE_REFERENCE = "a Service key (name.namespace) or host";

    private final List<ConfigError> errors = new ArrayList<>();
    /** With a control plane, only the Sidecar is checked: anything else is reported once, as not belonging. */
    private final boolean fromControlPlane;
    private MeshIndex.Builder<SourceMap> mesh;

    private Validator(boolean fromControlPlane) {
        this.fromControlPlane = fromControlPlane;
    }

    /**
     * What validation found.
     *
     * @param errors every error, located
     * @param mesh   the index of the documents' Services and Routes; null when there are errors
     */
    record Result(List<ConfigError> errors, MeshIndex mesh) {
    }

    static Result validate(List<LoadedDocument> documents) {
        boolean fromControlPlane = documents.stream().anyMatch(
                d -> d.resource() instanceof Sidecar s && s.spec().controlPlane() != null);
        Validator validator = new Validator(fromControlPlane);
        validator.checkIdentities(documents);
        validator.indexServices(documents);
        for (LoadedDocument document : documents) {
            if (fromControlPlane && !document.kind().equals("Sidecar")) {
                validator.error(document.where(), "metadata.name", "got a " + document.kind() + " beside a Sidecar with"
                        + " spec.controlPlane, expected only the Sidecar: services, routes and policies come from the"
                        + " control plane");
                continue;
            }
            Resource resource = document.resource();
            if (resource instanceof Service service) {
                validator.checkService(service, document.where());
            } else if (resource instanceof Route route) {
                validator.checkRoute(route, document);
            } else if (resource instanceof Sidecar sidecar) {
                validator.checkSidecar(sidecar, document.where());
            } else if (resource instanceof AuthorizationPolicy policy) {
                validator.checkAuthorization(policy, document.where());
            }
        }
        List<ConfigError> errors = List.copyOf(validator.errors);
        return new Result(errors, errors.isEmpty() ? validator.mesh.build() : null);
    }

    private void error(SourceMap where, String path, String message) {
        errors.add(where.error(path, message));
    }

    // ---- identities -------------------------------------------------------------------------------------------

    private void checkIdentities(List<LoadedDocument> documents) {
        Map<String, LoadedDocument> seen = new HashMap<>();
        LoadedDocument firstSidecar = null;
        for (LoadedDocument document : documents) {
            Metadata metadata = document.metadata();
            SourceMap where = document.where();
            if (!HostNames.isDnsLabel(metadata.name())) {
                error(where, "metadata.name", "got " + RecordBinder.quote(metadata.name()) + ", expected "
                        + HostNames.DNS_LABEL);
            }
            if (!HostNames.isDnsLabel(metadata.namespace())) {
                error(where, "metadata.namespace", "got " + RecordBinder.quote(metadata.namespace()) + ", expected "
                        + HostNames.DNS_LABEL);
            }
            if (document.kind().equals("Sidecar")) {
                if (firstSidecar == null) {
                    firstSidecar = document;
                } else {
                    error(where, "metadata.name", "a second Sidecar " + metadata.qualifiedName() + " (the first is "
                            + firstSidecar.metadata().qualifiedName() + " at "
                            + firstSidecar.where().describe("metadata.name")
                            + "), expected at most one Sidecar: it is the bootstrap of one proxy");
                }
                continue;
            }
            String identity = document.kind() + " " + metadata.qualifiedName();
            LoadedDocument first = seen.putIfAbsent(identity, document);
            if (first != null) {
                error(where, "metadata.name", "duplicate " + identity + ", first defined at "
                        + first.where().describe("metadata.name") + ", expected each kind/name/namespace once");
            }
        }
    }

    private void indexServices(List<LoadedDocument> documents) {
        List<MeshIndex.Declared<SourceMap>> services = new ArrayList<>();
        for (LoadedDocument document : documents) {
            if (document.kind().equals("Service")) {
                services.add(new MeshIndex.Declared<>(document.metadata().qualifiedName(),
                        document.resource() instanceof Service service ? service : null, document.where()));
            }
        }
        mesh = new MeshIndex.Builder<>(services, this);
    }

    // ---- what the mesh index's pass finds ----------------------------------------------------------------------

    @Override
    public void repeatedKey(String key, SourceMap first, SourceMap again) {
        // Reported with every kind's duplicates (checkIdentities).
    }

    @Override
    public void invalidHost(String key, SourceMap where, int index, String host) {
        if (!fromControlPlane) {
            error(where, "spec.hosts[" + index + "]", "got " + RecordBinder.quote(host)
                    + ", expected a host name like payments.shop.svc.cluster.local, optionally with :port (1-65535)");
        }
    }

    @Override
    public void claimed(MeshIndex.Claim<SourceMap> claim, MeshIndex.Claim<SourceMap> first) {
        error(claim.origin(), claim.path(), "got " + RecordBinder.quote(claim.written()) + ", which already names Service "
                + first.key() + " at " + first.origin().describe(first.path())
                + "; expected each host and address to name one Service");
    }

    @Override
    public void namesAnother(MeshIndex.Claim<SourceMap> host, String name, String otherKey) {
        String whose = name.equals(otherKey) ? "the key of another Service" : "a DNS name of Service " + otherKey;
        error(host.origin(), host.path(), "got " + RecordBinder.quote(name) + ", which is " + whose
                + "; expected a host that names only " + host.key());
    }

    @Override
    public void unknownService(Route route, SourceMap where, int index, String reference) {
        error(where, "spec.services[" + index + "]", unknownService(reference, SERVICE_REFERENCE));
    }

    @Override
    public void routedTwice(String key, Route route, SourceMap where, int index, Route first, SourceMap firstWhere) {
        error(where, "spec.services[" + index + "]", "Service " + key + " is already routed by Route "
                + first.metadata().qualifiedName() + " at " + firstWhere.describe("metadata.name")
                + ", expected at most one Route per Service");
    }

    private String unknownService(String reference, String expected) {
        StringBuilder sb = new StringBuilder("got ").append(RecordBinder.quote(reference)).append(", expected ")
                .append(expected);
        if (mesh.keys().isEmpty()) {
            return sb.append(", but no Service is defined").toString();
        }
        sb.append("; known services: ").append(String.join(", ", mesh.keys()));
        List<String> candidates = new ArrayList<>(mesh.keys());
        candidates.addAll(mesh.hostReferences());
        Spelling.suggest(reference, candidates).ifPresent(s -> sb.append("; did you mean '").append(s).append("'?"));
        return sb.toString();
    }

    // ---- Service ----------------------------------------------------------------------------------------------

    private void checkService(Service service, SourceMap where) {
        Service.Spec spec = service.spec();
        for (int i = 0; i < spec.addresses().size(); i++) {
            checkPort(where, "spec.addresses[" + i + "]", spec.addresses().get(i));
        }
        for (int i = 0; i < spec.endpoints().size(); i++) {
            Service.Endpoint endpoint = spec.endpoints().get(i);
            checkPort(where, "spec.endpoints[" + i + "].address", endpoint.address());
            String identity = endpoint.identity();
            if (identity != null && !isSpiffeId(identity)) {
                error(where, "spec.endpoints[" + i + "].identity", "got " + RecordBinder.quote(identity)
                        + ", expected a SPIFFE ID like spiffe://cluster.local/ns/shop/sa/payments");
            }
        }
        checkSubsets(spec, where);
        checkPositive(where, "spec.trafficPolicy.connectTimeout", spec.trafficPolicy().connectTimeout());
        checkPositive(where, "spec.trafficPolicy.upstreamIdleTimeout", spec.trafficPolicy().upstreamIdleTimeout());
        checkOutlierDetection(spec.trafficPolicy().outlierDetection(), where);
        checkPositive(where, "spec.trafficPolicy.retryBudget.window", spec.trafficPolicy().retryBudget().window());
    }

    /** As the proxy reads an endpoint's identity (certs' {@link SpiffeId}), so what passes here always applies. */
    private static boolean isSpiffeId(String text) {
        try {
            SpiffeId.parse(text);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private void checkOutlierDetection(Service.OutlierDetection od, SourceMap where) {
        String path = "spec.trafficPolicy.outlierDetection";
        checkPositive(where, path + ".interval", od.interval());
        checkPositive(where, path + ".baseEjectionTime", od.baseEjectionTime());
        if (od.maxEjectionTime().compareTo(od.baseEjectionTime()) < 0) {
            error(where, path + ".maxEjectionTime", "got " + RecordBinder.quote(Durations.format(od.maxEjectionTime()))
                    + ", expected at least baseEjectionTime ("
                    + Durations.format(od.baseEjectionTime()) + ")");
        }
    }

    private void checkSubsets(Service.Spec spec, SourceMap where) {
        Map<String, Integer> firstIndex = new HashMap<>();
        for (int i = 0; i < spec.subsets().size(); i++) {
            Service.Subset subset = spec.subsets().get(i);
            String path = "spec.subsets[" + i + "]";
            if (subset.name().isEmpty()) {
                error(where, path + ".name", "got an empty name, expected a subset name like v1");
            }
            Integer first = firstIndex.putIfAbsent(subset.name(), i);
            if (first != null) {
                error(where, path + ".name", "duplicate subset " + RecordBinder.quote(subset.name()) + " (first at "
                        + where.describe("spec.subsets[" + first + "].name") + "), expected unique subset names");
            }
            boolean selectsOne = spec.endpoints().stream()
                    .anyMatch(e -> e.labels().entrySet().containsAll(subset.labels().entrySet()));
            if (!selectsOne) {
                error(where, subset.labels().isEmpty() ? path : path + ".labels", "labels " + subset.labels()
                        + " select no endpoint, expected labels carried by at least one of the service's "
                        + spec.endpoints().size() + " endpoint(s)");
            }
        }
    }

    // ---- AuthorizationPolicy --------------------------------------------------------------------------------

    private void checkAuthorization(AuthorizationPolicy policy, SourceMap where) {
        List<AuthorizationPolicy.Rule> rules = policy.spec().rules();
        for (int i = 0; i < rules.size(); i++) {
            String path = "spec.rules[" + i + "]";
            AuthorizationPolicy.Rule rule = rules.get(i);
            if (rule.from() != null) {
                List<String> principals = rule.from().principals();
                for (int j = 0; j < principals.size(); j++) {
                    String p = principals.get(j);
                    if (!wildcardOk(p) || !(p.equals("*") || p.startsWith("spiffe://") || p.startsWith("*"))) {
                        error(where, path + ".from.principals[" + j + "]", "got " + RecordBinder.quote(p)
                                + ", expected a SPIFFE ID like spiffe://cluster.local/ns/shop/sa/web, with at most one"
                                + " * at its start or end");
                    }
                }
                List<String> namespaces = rule.from().namespaces();
                for (int j = 0; j < namespaces.size(); j++) {
                    if (!wildcardOk(namespaces.get(j))) {
                        error(where, path + ".from.namespaces[" + j + "]", "got " + RecordBinder.quote(namespaces.get(j))
                                + ", expected a namespace, with at most one * at its start or end");
                    }
                }
            }
            if (rule.to() != null) {
                List<String> paths = rule.to().paths();
                for (int j = 0; j < paths.size(); j++) {
                    String p = paths.get(j);
                    if (!wildcardOk(p) || !(p.startsWith("/") || p.startsWith("*"))) {
                        error(where, path + ".to.paths[" + j + "]", "got " + RecordBinder.quote(p)
                                + ", expected a path starting with / (or *), with at most one * at its start or end");
                    }
                }
                List<String> methods = rule.to().methods();
                for (int j = 0; j < methods.size(); j++) {
                    if (!isUpperCaseToken(methods.get(j))) {
                        error(where, path + ".to.methods[" + j + "]", "got " + RecordBinder.quote(methods.get(j))
                                + ", expected an upper-case HTTP method token like GET or POST");
                    }
                }
            }
        }
    }

    /** Empty is not allowed; a {@code *} may only be the first or the last character, once. */
    private static boolean wildcardOk(String value) {
        int star = value.indexOf('*');
        return !value.isEmpty() && (star < 0 || (star == value.lastIndexOf('*')
                && (star == 0 || star == value.length() - 1)));
    }

    // ---- Route ------------------------------------------------------------------------------------------------

    private void checkRoute(Route route, LoadedDocument document) {
        SourceMap where = document.where();
        Route.Spec spec = route.spec();
        if (spec.services().isEmpty()) {
            error(where, "spec.services", "got no services, expected at least one Service key (name.namespace) or host");
        }
        mesh.route(route, where);
        if (spec.rules().isEmpty()) {
            error(where, "spec.rules", "got no rules, expected at least one rule");
        }
        for (int i = 0; i < spec.rules().size(); i++) {
            checkRule(spec.rules().get(i), "spec.rules[" + i + "]", where);
        }
    }

    private void checkRule(Route.Rule rule, String path, SourceMap where) {
        for (int i = 0; i < rule.matches().size(); i++) {
            checkMatch(rule.matches().get(i), path + ".matches[" + i + "]", where);
        }
        if (rule.backends().isEmpty()) {
            error(where, path + ".backends", "got no backends, expected at least one backend");
            return;
        }
        long weights = 0;
        for (int i = 0; i < rule.backends().size(); i++) {
            Route.Backend backend = rule.backends().get(i);
            weights += backend.weight();
            checkBackend(backend, path + ".backends[" + i + "]", where);
        }
        if (weights == 0) {
            error(where, path + ".backends", "weights sum to 0, expected at least one backend with a weight above 0");
        } else if (weights > Integer.MAX_VALUE) {
            error(where, path + ".backends", "weights sum to " + weights + ", expected at most " + Integer.MAX_VALUE
                    + " (weights are shares, so smaller numbers in the same ratio route alike)");
        }
        checkRetries(rule, path, where);
        if (rule.fault() != null) {
            checkFault(rule.fault(), path + ".fault", where);
        }
        if (rule.rateLimit() != null) {
            checkRateLimit(rule.rateLimit(), path + ".rateLimit", where);
        }
    }

    /**
     * A per-try timeout above a set deadline could never act, which is a mistake worth an error (Istio ignored
     * per-try timeouts silently in that case). Without a deadline ({@code timeout: 0s}) it is what bounds each try.
     */
    private void checkRetries(Route.Rule rule, String path, SourceMap where) {
        Route.Retries retries = rule.retries();
        Duration perTry = retries.perTryTimeout();
        if (!rule.timeout().isZero() && perTry.compareTo(rule.timeout()) > 0) {
            error(where, path + ".retries.perTryTimeout", "got " + RecordBinder.quote(Durations.format(perTry))
                    + ", expected at most the rule's timeout (" + Durations.format(rule.timeout())
                    + ", the deadline of the whole request, retries included); a try never outlives the deadline,"
                    + " so set timeout: 0s for no deadline and only a per-try limit");
        }
        Route.Backoff backoff = retries.backoff();
        checkPositive(where, path + ".retries.backoff.baseInterval", backoff.baseInterval());
        if (backoff.maxInterval().compareTo(backoff.baseInterval()) < 0) {
            error(where, path + ".retries.backoff.maxInterval", "got "
                    + RecordBinder.quote(Durations.format(backoff.maxInterval()))
                    + ", expected at least baseInterval (" + Durations.format(backoff.baseInterval()) + ")");
        }
    }

    private void checkFault(Route.Fault fault, String path, SourceMap where) {
        if (fault.abort() == null && fault.delay() == null) {
            error(where, path, "got no fault, expected abort, delay or both");
        }
        if (fault.abort() != null) {
            checkPercent(where, path + ".abort.percent", fault.abort().percent());
        }
        if (fault.delay() != null) {
            checkPercent(where, path + ".delay.percent", fault.delay().percent());
            if (fault.delay().fixedDelay() == null) {
                error(where, path + ".delay", "missing required field 'fixedDelay', expected " + Durations.EXPECTED);
            } else {
                checkPositive(where, path + ".delay.fixedDelay", fault.delay().fixedDelay());
            }
        }
    }

    private void checkRateLimit(Route.RateLimit limit, String path, SourceMap where) {
        if (limit.fillInterval().compareTo(Defaults.RATE_LIMIT_MIN_FILL_INTERVAL) < 0) {
            error(where, path + ".fillInterval", "got " + RecordBinder.quote(Durations.format(limit.fillInterval()))
                    + ", expected at least " + Durations.format(Defaults.RATE_LIMIT_MIN_FILL_INTERVAL));
        }
        if (limit.tokensPerFill() > limit.maxTokens()) {
            error(where, path + ".tokensPerFill", "got " + limit.tokensPerFill()
                    + ", expected at most maxTokens (" + limit.maxTokens() + "): the bucket cannot hold more");
        }
    }

    private void checkPercent(SourceMap where, String path, double percent) {
        if (!(percent >= 0 && percent <= 100)) {
            String text = percent == Math.rint(percent) ? Long.toString((long) percent) : Double.toString(percent);
            error(where, path, "got " + RecordBinder.quote(text) + ", expected a percentage 0-100");
        }
    }

    private void checkBackend(Route.Backend backend, String path, SourceMap where) {
        if (!mesh.isKey(backend.service())) {
            String key = mesh.keyOf(backend.service());
            if (key != null) {
                error(where, path + ".service", "got " + RecordBinder.quote(backend.service())
                        + ", a host of Service " + key + "; expected the Service key " + key);
            } else if (mesh.complete()) {
                error(where, path + ".service", unknownService(backend.service(), "a Service key (name.namespace)"));
            }
            return;
        }
        Service service = mesh.service(backend.service());
        if (backend.subset() == null || service == null) {
            return;
        }
        List<String> subsets = service.spec().subsets().stream().map(Service.Subset::name).toList();
        if (!subsets.contains(backend.subset())) {
            String known = subsets.isEmpty() ? ", which defines no subsets" : ": " + String.join(", ", subsets);
            StringBuilder message = new StringBuilder("got ").append(RecordBinder.quote(backend.subset()))
                    .append(", expected a subset of Service ").append(backend.service()).append(known);
            Spelling.suggest(backend.subset(), subsets)
                    .ifPresent(s -> message.append("; did you mean '").append(s).append("'?"));
            error(where, path + ".subset", message.toString());
        }
    }

    private void checkMatch(Route.Match match, String path, SourceMap where) {
        if (match.path() != null) {
            checkStringMatch(match.path(), path + ".path", where, true);
        }
        if (match.method() != null && !isUpperCaseToken(match.method())) {
            error(where, path + ".method", "got " + RecordBinder.quote(match.method())
                    + ", expected an upper-case HTTP method token like GET or POST");
        }
        Map<String, String> firstByLowerCase = new HashMap<>();
        for (String name : new TreeSet<>(match.headers().keySet())) {
            String headerPath = FieldPaths.key(path + ".headers", name);
            if (!HostNames.isToken(name)) {
                error(where, headerPath, "got " + RecordBinder.quote(name)
                        + ", expected a header name (letters, digits and !#$%&'*+-.^_`|~)");
            }
            String first = firstByLowerCase.putIfAbsent(name.toLowerCase(Locale.ROOT), name);
            if (first != null) {
                error(where, headerPath, "header " + RecordBinder.quote(name) + " is the same as "
                        + RecordBinder.quote(first) + " (header names ignore case), expected each header once");
            }
            checkStringMatch(match.headers().get(name), headerPath, where, false);
        }
    }

    private void checkStringMatch(Route.StringMatch match, String path, SourceMap where, boolean isPath) {
        List<String> given = new ArrayList<>();
        if (match.exact() != null) {
            given.add("exact");
        }
        if (match.prefix() != null) {
            given.add("prefix");
        }
        if (match.regex() != null) {
            given.add("regex");
        }
        if (given.size() != 1) {
            error(where, path, (given.isEmpty() ? "got none" : "got " + String.join(" and ", given))
                    + ", expected exactly one of exact, prefix, regex");
            return;
        }
        if (match.regex() != null) {
            try {
                Pattern.compile(match.regex());
            } catch (PatternSyntaxException e) {
                error(where, path + ".regex", "got " + RecordBinder.quote(match.regex())
                        + ", expected a valid regular expression (" + e.getDescription() + " near index "
                        + e.getIndex() + ")");
            }
        } else if (isPath) {
            String field = match.exact() != null ? "exact" : "prefix";
            String value = match.exact() != null ? match.exact() : match.prefix();
            if (!value.startsWith("/")) {
                error(where, path + "." + field, "got " + RecordBinder.quote(value) + ", expected a path starting with /");
            }
        }
    }

    private static boolean isUpperCaseToken(String method) {
        return HostNames.isToken(method) && method.equals(method.toUpperCase(Locale.ROOT));
    }

    // ---- Sidecar ----------------------------------------------------------------------------------------------

    private void checkSidecar(Sidecar sidecar, SourceMap where) {
        Sidecar.Spec spec = sidecar.spec();
        List<Sidecar.Upstream> upstreams = spec.outbound().upstreams();
        for (int i = 0; i < upstreams.size(); i++) {
            String reference = upstreams.get(i).service();
            if (mesh.keyOf(reference) == null && mesh.complete() && spec.controlPlane() == null) {
                error(where, "spec.outbound.upstreams[" + i + "].service", unknownService(reference, SERVICE_REFERENCE));
            }
        }
        checkListeners(spec, where);
        if (spec.inbound() != null) {
            checkPort(where, "spec.inbound.app", spec.inbound().app());
            Sidecar.Tls tls = spec.inbound().tls();
            if (tls != null) {
                checkReadableFile(where, "spec.inbound.tls.certificate", tls.certificate(), "CERTIFICATE");
                checkReadableFile(where, "spec.inbound.tls.privateKey", tls.privateKey(), "PRIVATE KEY");
            }
        }
        Sidecar.Mtls mtls = spec.mtls();
        Sidecar.ControlPlane controlPlane = spec.controlPlane();
        if (controlPlane != null) {
            if (controlPlane.address() == null) {
                error(where, "spec.controlPlane.address", "missing, expected host:port of the control plane");
            } else {
                checkPort(where, "spec.controlPlane.address", controlPlane.address());
            }
            if (controlPlane.tokenFile() == null) {
                error(where, "spec.controlPlane.tokenFile", "missing, expected the file holding this workload's"
                        + " credential (a bootstrap token, or the projected service-account token)");
            } else if (!java.nio.file.Files.isReadable(java.nio.file.Path.of(controlPlane.tokenFile()))) {
                error(where, "spec.controlPlane.tokenFile", "got " + RecordBinder.quote(controlPlane.tokenFile())
                        + ", a file that does not exist or cannot be read; expected a readable token file");
            }
            if (controlPlane.trustBundle() == null) {
                error(where, "spec.controlPlane.trustBundle", "missing, expected a PEM file with the mesh's roots");
            } else {
                checkReadableFile(where, "spec.controlPlane.trustBundle", controlPlane.trustBundle(), "CERTIFICATE");
            }
            if (controlPlane.identity() != null && !controlPlane.identity().startsWith("spiffe://")) {
                error(where, "spec.controlPlane.identity", "got " + RecordBinder.quote(controlPlane.identity())
                        + ", expected a SPIFFE ID (spiffe://<trust domain>/ns/<namespace>/sa/<service account>)");
            }
            if (mtls != null && (mtls.certificate() != null || mtls.privateKey() != null || mtls.localCa() != null
                    || mtls.trustBundle() != null)) {
                error(where, "spec.mtls", "got certificate, privateKey, localCa or trustBundle beside controlPlane,"
                        + " expected only mode: the control plane issues the certificate (and decides its lifetime)");
            }
        } else if (mtls != null) {
            boolean files = mtls.certificate() != null || mtls.privateKey() != null;
            if (files == (mtls.localCa() != null)) {
                error(where, "spec.mtls", files ? "got both certificate/privateKey and localCa, expected one: files"
                        + " someone else rotates, or a local CA the sidecar issues from"
                        : "got neither certificate/privateKey nor localCa, expected one of them");
            } else if (files) {
                if (mtls.certificate() == null || mtls.privateKey() == null) {
                    error(where, "spec.mtls", "got only one of certificate and privateKey, expected both");
                } else {
                    checkReadableFile(where, "spec.mtls.certificate", mtls.certificate(), "CERTIFICATE");
                    checkReadableFile(where, "spec.mtls.privateKey", mtls.privateKey(), "PRIVATE KEY");
                }
            } else {
                checkReadableFile(where, "spec.mtls.localCa.certificate", mtls.localCa().certificate(), "CERTIFICATE");
                checkReadableFile(where, "spec.mtls.localCa.privateKey", mtls.localCa().privateKey(), "PRIVATE KEY");
            }
            if (mtls.certificateTtl().compareTo(Duration.ofMinutes(1)) < 0) {
                error(where, "spec.mtls.certificateTtl", "got " + RecordBinder.quote(Durations.format(
                        mtls.certificateTtl())) + ", expected at least 1m");
            }
            if (mtls.trustBundle() == null) {
                error(where, "spec.mtls.trustBundle", "missing, expected a PEM file with the trust domain's roots"
                        + " (only a Sidecar with a controlPlane gets them from there)");
            } else {
                checkReadableFile(where, "spec.mtls.trustBundle", mtls.trustBundle(), "CERTIFICATE");
            }
            if (mtls.enabled() && spec.inbound() != null && spec.inbound().tls() != null) {
                error(where, "spec.inbound.tls", "got both inbound.tls and mtls, expected one: with mtls the"
                        + " inbound listener terminates mutual TLS with the workload's SVID");
            }
        }
        checkPositive(where, "spec.drainTime", spec.drainTime());
        checkPositive(where, "spec.limits.idleTimeout", spec.limits().idleTimeout());
        checkTracing(spec.tracing(), where);
        checkAccessLogFields(spec.accessLogFields(), where);
    }

    /** Each name known (a JSON name or Envoy's operator for it), each field once, and at least one. */
    private void checkAccessLogFields(List<String> names, SourceMap where) {
        if (names.isEmpty()) {
            error(where, "spec.accessLogFields", "got an empty list, expected at least one field (leave the list out"
                    + " for every field; accessLog: false writes no line)");
            return;
        }
        Map<AccessLogField, Integer> seen = new EnumMap<>(AccessLogField.class);
        for (int i = 0; i < names.size(); i++) {
            String path = "spec.accessLogFields[" + i + "]";
            String name = names.get(i);
            AccessLogField field = AccessLogField.named(name);
            if (field == null) {
                error(where, path, "unknown access-log field " + RecordBinder.quote(name) + ", expected one of: "
                        + String.join(", ", AccessLogField.jsonNames())
                        + " (or Envoy's operator for one, e.g. %RESPONSE_CODE% for status)"
                        + Spelling.suggest(name, AccessLogField.names()).map(s -> "; did you mean '" + s + "'?")
                                .orElse(""));
            } else if (seen.containsKey(field)) {
                error(where, path, "got " + RecordBinder.quote(name) + ", the field " + field.jsonName()
                        + " already listed at " + where.describe("spec.accessLogFields[" + seen.get(field) + "]")
                        + ", expected each field once");
            } else {
                seen.put(field, i);
            }
        }
    }

    private void checkTracing(Sidecar.Tracing tracing, SourceMap where) {
        checkPercent(where, "spec.tracing.sampling", tracing.sampling());
        if (tracing.collector() != null && !Sidecar.Tracing.isCollectorUrl(tracing.collector())) {
            error(where, "spec.tracing.collector", "got " + RecordBinder.quote(tracing.collector())
                    + ", expected " + Sidecar.Tracing.COLLECTOR_URL);
        }
        if (tracing.maxBatchSize() > tracing.maxQueueSize()) {
            error(where, "spec.tracing.maxBatchSize", "got " + tracing.maxBatchSize() + ", expected at most"
                    + " maxQueueSize (" + tracing.maxQueueSize() + "): a batch is taken from the queue");
        }
        checkPositive(where, "spec.tracing.batchInterval", tracing.batchInterval());
    }


    /** A PEM file that exists, is readable and holds a {@code -----BEGIN <kind>} block. */
    private void checkReadableFile(SourceMap where, String path, String file, String kind) {
        java.nio.file.Path p = java.nio.file.Path.of(file);
        if (!java.nio.file.Files.isReadable(p)) {
            error(where, path, "got " + RecordBinder.quote(file) + ", a file that does not exist or cannot be read;"
                    + " expected a readable PEM file");
            return;
        }
        try {
            String text = java.nio.file.Files.readString(p, java.nio.charset.StandardCharsets.US_ASCII);
            if (!text.contains("-----BEGIN " + kind) && !(kind.equals("PRIVATE KEY") && text.contains("PRIVATE KEY-----"))) {
                error(where, path, "got " + RecordBinder.quote(file) + ", which holds no PEM " + kind
                        + " block; expected a PEM file (-----BEGIN " + kind + "-----)");
            }
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            error(where, path, "got " + RecordBinder.quote(file) + ", which cannot be read (" + e.getMessage()
                    + "); expected a readable PEM file");
        }
    }

    private void checkListeners(Sidecar.Spec spec, SourceMap where) {
        Map<String, HostPort> listeners = new LinkedHashMap<>();
        listeners.put("spec.admin", spec.admin());
        listeners.put("spec.metrics", spec.metrics());
        listeners.put("spec.health", spec.health());
        if (spec.inbound() != null) {
            listeners.put("spec.inbound.listen", spec.inbound().listen());
        }
        if (spec.outbound().capture().enabled()) {
            listeners.put("spec.outbound.capture.listen", spec.outbound().capture().listen());
        }
        if (spec.inbound() != null) {
            checkInboundPorts(spec, where, listeners);
        }
        List<Sidecar.Upstream> upstreams = spec.outbound().upstreams();
        for (int i = 0; i < upstreams.size(); i++) {
            listeners.put("spec.outbound.upstreams[" + i + "].listen", upstreams.get(i).listen());
        }
        List<Map.Entry<String, HostPort>> bound = new ArrayList<>();
        for (Map.Entry<String, HostPort> listener : listeners.entrySet()) {
            HostPort address = listener.getValue();
            for (Map.Entry<String, HostPort> earlier : bound) {
                if (address.port() != 0 && overlaps(address, earlier.getValue())) {
                    String origin = where.isGiven(earlier.getKey())
                            ? " at " + where.describe(earlier.getKey()) : ", the default";
                    error(where, listener.getKey(), "got " + RecordBinder.quote(address.toString())
                            + ", already bound by " + earlier.getKey() + " (" + earlier.getValue() + origin
                            + "); expected a different port for each listener");
                    break;
                }
            }
            bound.add(listener);
        }
    }

    /**
     * Inbound ports: each once, and none of the sidecar's own listener ports (the capture rules exclude those, so
     * traffic to them would never reach the inbound listener).
     */
    private void checkInboundPorts(Sidecar.Spec spec, SourceMap where, Map<String, HostPort> listeners) {
        List<Sidecar.InboundPort> ports = spec.inbound().ports();
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        for (int i = 0; i < ports.size(); i++) {
            int port = ports.get(i).port();
            String path = "spec.inbound.ports[" + i + "].port";
            if (!seen.add(port)) {
                error(where, path, "got " + port + ", listed twice; expected each port of the app once");
                continue;
            }
            for (Map.Entry<String, HostPort> own : listeners.entrySet()) {
                if (own.getValue().port() == port) {
                    error(where, path, "got " + port + ", the port of " + own.getKey()
                            + "; expected a port of the app, not one of the sidecar's own");
                    break;
                }
            }
        }
    }

    /** Same port, and the same host or either one the wildcard address (which binds every interface). */
    private static boolean overlaps(HostPort a, HostPort b) {
        return a.port() == b.port() && (a.host().equalsIgnoreCase(b.host()) || isWildcard(a) || isWildcard(b));
    }

    private static boolean isWildcard(HostPort address) {
        return Set.of("0.0.0.0", "::", "0:0:0:0:0:0:0:0").contains(address.host());
    }

    // ---- shared -----------------------------------------------------------------------------------------------

    /** Port 0 ("pick a free port") is only for addresses the proxy listens on. */
    private void checkPort(SourceMap where, String path, HostPort address) {
        if (address.port() == 0) {
            error(where, path, "got " + RecordBinder.quote(address.toString())
                    + ", expected a port 1-65535 (port 0 is only for listen addresses)");
        }
    }

    private void checkPositive(SourceMap where, String path, Duration duration) {
        if (duration.isZero() || duration.isNegative()) {
            error(where, path, "got " + RecordBinder.quote(Durations.format(duration))
                    + ", expected a duration above 0 like 250ms, 2s, 1m");
        }
    }
}
