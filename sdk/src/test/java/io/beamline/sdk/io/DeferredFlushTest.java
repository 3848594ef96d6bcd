package io.beamline.sdk.io;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.arrayWithSize;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.After;
import org.junit.Test;

public class DeferredFlushTest {
  private final List<String> ran = new ArrayList<>();

  @After
  public void uninstall() {
    DeferredFlush.uninstall();
  }

  private DeferredFlush.Flush flush(String name) {
    return () -> ran.add(name);
  }

  @Test
  public void isPresentOnlyOnTheThreadItIsInstalledOn() throws Exception {
    assertFalse(DeferredFlush.current().isPresent());
    DeferredFlush installed = DeferredFlush.install();
    assertSame(installed, DeferredFlush.current().orElseThrow());
    Optional<DeferredFlush> elsewhere =
        CompletableFuture.supplyAsync(DeferredFlush::current).get();
    assertFalse(elsewhere.isPresent());
    DeferredFlush.uninstall();
    assertFalse(DeferredFlush.current().isPresent());
  }

  @Test
  public void flushAllRunsEachDeferredFlushOnceInOrderAndForgetsThem() throws Exception {
    DeferredFlush flushes = DeferredFlush.install();
    DeferredFlush.Flush a = flush("a");
    DeferredFlush.Flush b = flush("b");
    flushes.defer(a);
    flushes.defer(b);
    flushes.defer(a); // the next bundle of the same sink
    assertTrue(flushes.hasPending());
    flushes.flushAll();
    assertThat(ran, contains("a", "b"));
    assertFalse(flushes.hasPending());
    flushes.flushAll();
    assertThat(ran, contains("a", "b"));
  }

  @Test
  public void aFailedFlushDoesNotStopTheOthersAndIsThrownWithTheRestSuppressed() {
    DeferredFlush flushes = DeferredFlush.install();
    flushes.defer(() -> {
      throw new IOException("first");
    });
    flushes.defer(flush("ok"));
    flushes.defer(() -> {
      throw new IOException("second");
    });
    IOException e = assertThrows(IOException.class, flushes::flushAll);
    assertThat(e.getMessage(), equalTo("first"));
    assertThat(e.getSuppressed(), arrayWithSize(1));
    assertThat(e.getSuppressed()[0].getMessage(), equalTo("second"));
    assertThat(ran, contains("ok"));
    assertFalse(flushes.hasPending());
  }
}
