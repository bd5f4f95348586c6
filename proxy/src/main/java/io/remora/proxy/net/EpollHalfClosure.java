package io.remora.proxy.net;

import io.netty.channel.Channel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;

/**
 * Makes TCP half-closure safe on Netty 4.2.18's epoll transport.
 *
 * <p>The problem: when a channel's epoll interest set becomes empty, Netty 4.2.18 removes the file descriptor
 * from epoll ({@code EPOLL_CTL_DEL}) but still treats it as registered, so the next interest change is an
 * {@code EPOLL_CTL_MOD} that fails with ENOENT. An interest set only becomes empty once the input is shut down
 * (the peer sent FIN and {@code ALLOW_HALF_CLOSURE} is on: EPOLLIN and EPOLLRDHUP are dropped) and no write is
 * waiting (EPOLLOUT dropped). The next write that has to wait for the socket to drain then fails, Netty shuts
 * the output down and everything queued behind it is lost: a client that sends its request, shuts down its
 * output and then reads a large reply slowly receives a truncated reply. NIO is not affected.
 *
 * <p>The workaround: keep EPOLLERR in the interest set. epoll reports errors whatever the mask, so this adds
 * no events; it only keeps the set from ever becoming empty. Netty offers no public way to do that, so the
 * (protected) {@code AbstractEpollChannel.setFlag} is called through a method handle made once: a
 * {@code Method.invoke} per connection would go through the JVM's native accessor, which {@code bin/remora}'s
 * {@code -Djdk.reflect.useNativeAccessorOnly} chooses for start-up. Where that is not possible (another Netty
 * version, modules) nothing is done. Harmless on Netty versions without the problem.
 */
public final class EpollHalfClosure {
    private static final InternalLogger LOG = InternalLoggerFactory.getInstance(EpollHalfClosure.class);

    private EpollHalfClosure() {
    }

    /**
     * Applies the workaround to {@code ch} if it is an epoll channel; returns whether it did. Call it on the
     * channel's event loop, before the channel can see its peer's FIN (for an accepted channel, in its
     * initializer or {@code channelActive}; for a connected one, once the connect succeeded).
     */
    public static boolean apply(Channel ch) {
        if (!Holder.ENABLED || !Holder.EPOLL_CHANNEL.isInstance(ch)) {
            return false;
        }
        try {
            Holder.SET_FLAG.invokeExact(ch, Holder.EPOLLERR);
            return true;
        } catch (Error e) {
            throw e;
        } catch (Throwable e) { // setFlag's IOException, or a RuntimeException
            LOG.debug("could not keep EPOLLERR in the interest set of {}", ch, e);
            return false;
        }
    }

    /** True when {@link #apply} can act (epoll is available and Netty's method is reachable). */
    public static boolean available() {
        return Holder.ENABLED;
    }

    /** Resolved on first use only, so nothing epoll-related loads where epoll is not available. */
    private static final class Holder {
        static final boolean ENABLED;
        static final Class<?> EPOLL_CHANNEL;
        /** {@code (Channel, int) -> void}: AbstractEpollChannel.setFlag. */
        static final MethodHandle SET_FLAG;
        static final int EPOLLERR;

        static {
            boolean enabled = false;
            Class<?> type = Void.class;
            MethodHandle setFlag = null;
            int err = 0;
            try {
                if (Epoll.isAvailable()) {
                    type = Class.forName("io.netty.channel.epoll.AbstractEpollChannel");
                    Method method = type.getDeclaredMethod("setFlag", int.class);
                    method.setAccessible(true);
                    setFlag = MethodHandles.lookup().unreflect(method)
                            .asType(MethodType.methodType(void.class, Channel.class, int.class));
                    err = EpollIoOps.EPOLLERR.value();
                    enabled = true;
                }
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                LOG.debug("epoll half-closure workaround unavailable", e);
            }
            ENABLED = enabled;
            EPOLL_CHANNEL = type;
            SET_FLAG = setFlag;
            EPOLLERR = err;
        }
    }
}
