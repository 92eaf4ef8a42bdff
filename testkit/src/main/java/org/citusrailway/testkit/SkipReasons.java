package org.citusrailway.testkit;

import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestWatcher;
import org.opentest4j.TestAbortedException;

/**
 * Prints why a test was skipped (a failed assumption, such as "no Docker" or "no Citus installed here") into the
 * build's output, where Surefire alone shows only a count. Registered for every test through the service loader.
 * An assumption in a class's {@code @BeforeAll} skips the whole class without a test of it being reported, so that
 * one is printed here too, once for the class.
 */
public final class SkipReasons implements TestWatcher, LifecycleMethodExecutionExceptionHandler {

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable cause) throws Throwable {
        if (cause instanceof TestAbortedException) {
            System.out.println("SKIPPED " + context.getRequiredTestClass().getSimpleName() + " (every test): "
                    + cause.getMessage());
        }
        throw cause;
    }

    @Override
    public void testAborted(ExtensionContext context, Throwable cause) {
        System.out.println("SKIPPED " + name(context) + ": " + cause.getMessage());
    }

    @Override
    public void testDisabled(ExtensionContext context, Optional<String> reason) {
        System.out.println("SKIPPED " + name(context) + ": " + reason.orElse("disabled"));
    }

    private static String name(ExtensionContext context) {
        return context.getRequiredTestClass().getSimpleName() + "." + context.getDisplayName();
    }
}
