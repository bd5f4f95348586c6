package io.remora.proxy.admin;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

/**
 * The small HTTP/1.1 server behind the admin, metrics and health listeners: a path router and a
 * per-connection handler that answers requests in order (pipelining safe), runs slow handlers on the admin
 * executor and writes their responses back on the channel's event loop.
 */
final class AdminHttp {
    private static final InternalLogger LOG = InternalLoggerFactory.getInstance(AdminHttp.class);

    static final String TEXT = "text/plain; charset=utf-8";
    static final String JSON = "application/json";

    private AdminHttp() {
    }

    /** What a handler needs of a request; the Netty request is released before the handler runs. */
    record Request(HttpMethod method, String path, String accept, Map<String, List<String>> query) {
    }

    /** A complete response; {@code after} runs on the admin executor once the response has been written. */
    record Response(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers,
                    Runnable after) {
        static Response text(HttpResponseStatus status, String body) {
            return new Response(status, TEXT, body.getBytes(StandardCharsets.UTF_8), Map.of(), null);
        }

        Response withHeader(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Response(status, contentType, body, h, after);
        }

        Response then(Runnable action) {
            return new Response(status, contentType, body, headers, action);
        }
    }

    /**
     * A route: one method on one path. {@code offLoop} handlers run on the admin executor because they may
     * be slow (serialising config, scraping metrics); the others run inline on the event loop.
     */
    record Route(HttpMethod method, String description, boolean offLoop, Function<Request, Response> handler,
                 Stream stream) {
        Route(HttpMethod method, String description, boolean offLoop, Function<Request, Response> handler) {
            this(method, description, offLoop, handler, null);
        }
    }

    /**
     * A route whose answer is a stream ({@code /debug/tap}): it either refuses with a complete {@link Response}, or
     * writes the response head on the channel, takes the channel over and returns null; the connection then serves
     * nothing else.
     */
    interface Stream {
        Response open(Request request, io.netty.channel.Channel channel);
    }

    /** Exact-path routes, in registration order (the order of the index page). */
    static final class Router {
        private final Map<String, Route> routes = new LinkedHashMap<>();

        Router get(String path, String description, boolean offLoop, Function<Request, Response> handler) {
            return add(path, new Route(HttpMethod.GET, description, offLoop, handler));
        }

        Router stream(String path, String description, Stream stream) {
            return add(path, new Route(HttpMethod.GET, description, false, null, stream));
        }

        Router post(String path, String description, Function<Request, Response> handler) {
            return add(path, new Route(HttpMethod.POST, description, false, handler));
        }

        private Router add(String path, Route route) {
            if (routes.putIfAbsent(path, route) != null) {
                throw new IllegalArgumentException("duplicate route " + path);
            }
            return this;
        }

        Map<String, Route> routes() {
            return Collections.unmodifiableMap(routes);
        }

        /** A plain-text index: one line per route, {@code METHOD path  description}. */
        String index() {
            StringBuilder sb = new StringBuilder();
            routes.forEach((path, r) -> sb.append(String.format("%-5s %-22s %s%n", r.method().name(), path,
                    r.description())));
            return sb.toString();
        }
    }

    /** Per-connection handler. Requests are answered one at a time, in arrival order. */
    static final class Handler extends ChannelInboundHandlerAdapter {
        private final Router router;
        private final Executor executor;
        private final ArrayDeque<Pending> queue = new ArrayDeque<>(2);
        private boolean busy;

        private record Pending(Request request, HttpVersion version, boolean keepAlive, boolean badRequest) {
        }

        Handler(Router router, Executor executor) {
            this.router = router;
            this.executor = executor;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpRequest req)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            Pending p;
            try {
                boolean bad = req.decoderResult().isFailure();
                QueryStringDecoder uri = bad ? null : new QueryStringDecoder(req.uri());
                p = new Pending(new Request(req.method(), bad ? "" : uri.path(), req.headers().get(HttpHeaderNames.ACCEPT),
                        bad ? Map.of() : uri.parameters()),
                        req.protocolVersion(), !bad && HttpUtil.isKeepAlive(req), bad);
            } finally {
                req.release();
            }
            queue.add(p);
            if (!busy) {
                next(ctx);
            }
        }

        private void next(ChannelHandlerContext ctx) {
            Pending p = queue.poll();
            if (p == null || !ctx.channel().isActive()) {
                queue.clear();
                return;
            }
            busy = true;
            if (p.badRequest()) {
                write(ctx, p, Response.text(HttpResponseStatus.BAD_REQUEST, "bad request\n"));
                return;
            }
            Route route = router.routes.get(p.request().path());
            if (route == null) {
                write(ctx, p, Response.text(HttpResponseStatus.NOT_FOUND, "not found\n"));
            } else if (!route.method().equals(p.request().method())) {
                write(ctx, p, Response.text(HttpResponseStatus.METHOD_NOT_ALLOWED,
                                "method not allowed, use " + route.method().name() + "\n")
                        .withHeader(HttpHeaderNames.ALLOW.toString(), route.method().name()));
            } else if (route.stream() != null) {
                Response refusal = route.stream().open(p.request(), ctx.channel());
                if (refusal != null) {
                    write(ctx, p, refusal);
                }
                // Else the stream owns the connection: busy stays set, so nothing else is served on it.
            } else if (route.offLoop()) {
                try {
                    executor.execute(() -> {
                        Response r = invoke(route, p.request());
                        try {
                            ctx.executor().execute(() -> write(ctx, p, r));
                        } catch (RejectedExecutionException e) {
                            LOG.debug("event loop gone, dropping the response to {}", p.request().path());
                        }
                    });
                } catch (RejectedExecutionException e) {
                    write(ctx, p, Response.text(HttpResponseStatus.SERVICE_UNAVAILABLE, "admin busy\n"));
                }
            } else {
                write(ctx, p, invoke(route, p.request()));
            }
        }

        private static Response invoke(Route route, Request request) {
            try {
                return route.handler().apply(request);
            } catch (RuntimeException e) {
                LOG.warn("admin handler for {} failed", request.path(), e);
                return Response.text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal error: " + e + "\n");
            }
        }

        private void write(ChannelHandlerContext ctx, Pending p, Response r) {
            FullHttpResponse res = new DefaultFullHttpResponse(p.version(), r.status(),
                    Unpooled.wrappedBuffer(r.body()));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
            res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
            r.headers().forEach((k, v) -> res.headers().set(k, v));
            boolean keepAlive = p.keepAlive();
            if (!keepAlive) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            } else if (p.version().equals(HttpVersion.HTTP_1_0)) {
                res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
            }
            ctx.writeAndFlush(res).addListener((ChannelFutureListener) f -> {
                if (r.after() != null && f.isSuccess()) {
                    try {
                        executor.execute(r.after());
                    } catch (RejectedExecutionException e) {
                        LOG.warn("admin executor rejected the action after {}", p.request().path());
                    }
                }
                if (!keepAlive || !f.isSuccess()) {
                    f.channel().close();
                }
            });
            busy = false;
            if (keepAlive) {
                next(ctx);
            } else {
                queue.clear();
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent && !busy) {
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            queue.clear();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("admin connection {} failed", ctx.channel(), cause);
            ctx.close();
        }
    }
}
