/**
 * A module of its own, so the platform model checks versions against it without loading the
 * Kubernetes provider.
 *
 * The Cluster Autoscaler release for each Kubernetes minor (its minor must match the cluster's),
 * pinned by the digest of its multi-architecture image index as registry.k8s.io publishes it
 * (the image promoter's manifest `registry.k8s.io/images/k8s-staging-autoscaling/images.yaml`
 * in kubernetes/k8s.io), so the same bytes run on x86 and Graviton nodes.
 */
export const CLUSTER_AUTOSCALER_IMAGES: Readonly<Record<string, string>> = {
  "1.28": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.28.7@sha256:77906954da9171425c8c8d3286091818143b6dcf9039abd49b8f33f1502978a1",
  "1.29": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.29.5@sha256:76865740be7c965b35ee1524931bb4abfe4c27b5bfad280e84068cd6653ee7bb",
  "1.30": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.30.5@sha256:c63b6fc563a7e374fca8fa3ca226d58955fe92360cb93aaa76974fc5dbf5cee6",
  "1.31": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.3@sha256:b5ac5d93d0e43c6f4f14b0a3994ff905ed169aa0d614d7af702eca0a254cb8a8",
  "1.32": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.32.2@sha256:c627d8d159a8cd6705a2612afd8a9ffc499e2fc37bad3525364427439b9224c0",
  "1.33": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.33.1@sha256:0d53371b73eae57dbed927a72b71d4fe756ce4dbfe528b4217a1078cb13445f0",
};
