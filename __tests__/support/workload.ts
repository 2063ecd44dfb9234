import type { KubernetesWorkloadProps } from "../../constructs/kubernetes-workload";

/** The smallest complete KubernetesWorkload props the construct tests start from (one app, `shop`). */
export const WORKLOAD_PROPS: KubernetesWorkloadProps = {
  name: "shop",
  image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop:bootstrap",
  port: 8080,
  healthPath: "/healthz",
  replicas: { min: 2, max: 6 },
  nodePort: 30080,
  ingressFromCidrs: ["10.20.128.0/21"],
};
