package io.remora.injector;

import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhook;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.MutatingWebhookConfiguration;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.remora.log.Log;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** Writes the CA bundle into a MutatingWebhookConfiguration, so the API server trusts the webhook's certificate. */
public final class WebhookConfigurations {
    private WebhookConfigurations() {
    }

    /**
     * Sets {@code clientConfig.caBundle} of every webhook in configuration {@code name} to {@code caPem}; an
     * unchanged bundle is not written again.
     *
     * @return the number of webhooks whose bundle changed
     * @throws IllegalStateException when the configuration does not exist
     */
    public static int patchCaBundle(KubernetesClient client, String name, String caPem) {
        String bundle = Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.UTF_8));
        var resource = client.admissionRegistration().v1().mutatingWebhookConfigurations().withName(name);
        MutatingWebhookConfiguration config = resource.get();
        if (config == null) {
            throw new IllegalStateException("MutatingWebhookConfiguration " + name + " does not exist; apply it"
                    + " (deploy/kubernetes/) or give --webhook-config the right name");
        }
        int changed = 0;
        for (MutatingWebhook w : config.getWebhooks()) {
            if (w.getClientConfig() != null && !bundle.equals(w.getClientConfig().getCaBundle())) {
                changed++;
            }
        }
        if (changed > 0) {
            resource.edit(c -> {
                c.getWebhooks().forEach(w -> {
                    if (w.getClientConfig() != null) {
                        w.getClientConfig().setCaBundle(bundle);
                    }
                });
                return c;
            });
        }
        Log.info("injector_ca_bundle", "webhook_config", name, "webhooks_changed", changed);
        return changed;
    }
}
