package io.remora.config;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;

/** Reflective construction and copying of the model's records through their canonical constructors. */
final class Records {
    private Records() {
    }

    /** Calls the canonical constructor; exceptions it throws (e.g. a null required value) pass through unwrapped. */
    static <R extends Record> R construct(Class<R> type, Object[] args) {
        Class<?>[] parameterTypes = Arrays.stream(type.getRecordComponents())
                .map(RecordComponent::getType)
                .toArray(Class<?>[]::new);
        try {
            Constructor<R> constructor = type.getDeclaredConstructor(parameterTypes);
            return constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("constructing " + type.getName(), e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no canonical constructor in " + type.getName(), e);
        }
    }

    /** An instance with every component absent, i.e. with every default applied. */
    static <R extends Record> R empty(Class<R> type) {
        RecordComponent[] components = type.getRecordComponents();
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            args[i] = FieldRules.absentValue(type, components[i]);
        }
        return construct(type, args);
    }

    /**
     * A copy of {@code record} with the component at {@code path} (component names, outermost first) replaced by
     * {@code value}; a null record on the way is first created with {@link #empty}.
     */
    static <R extends Record> R with(R record, List<String> path, Object value) {
        @SuppressWarnings("unchecked")
        Class<R> type = (Class<R>) record.getClass();
        RecordComponent[] components = type.getRecordComponents();
        Object[] args = new Object[components.length];
        boolean found = false;
        for (int i = 0; i < components.length; i++) {
            args[i] = get(record, components[i]);
            if (components[i].getName().equals(path.get(0))) {
                found = true;
                args[i] = path.size() == 1 ? value : nested(args[i], components[i], path.subList(1, path.size()), value);
            }
        }
        if (!found) {
            throw new IllegalArgumentException(type.getSimpleName() + " has no component " + path.get(0));
        }
        return construct(type, args);
    }

    private static Object nested(Object current, RecordComponent component, List<String> rest, Object value) {
        Record inner = current != null ? (Record) current : empty(component.getType().asSubclass(Record.class));
        return with(inner, rest, value);
    }

    private static Object get(Record record, RecordComponent component) {
        try {
            return component.getAccessor().invoke(record);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("reading " + component, e);
        }
    }
}
