import { IamOpenidConnectProvider } from "@cdktf/provider-aws/lib/iam-openid-connect-provider";
import { Construct } from "constructs";

/** Props of {@link GithubOidcProvider}; all optional. */
export interface GithubOidcProviderProps {
  /**
   * Audiences GitHub's tokens may carry.
   * @default ["sts.amazonaws.com"], the audience `aws-actions/configure-aws-credentials` requests
   */
  readonly audiences?: string[];
}

/**
 * GitHub Actions' OpenID Connect identity provider in one AWS account, so workflows assume roles
 * with short-lived tokens instead of stored keys. IAM allows exactly one provider per URL in an
 * account: create one per account and share it (the platform stacks do).
 */
export class GithubOidcProvider extends Construct {
  /** The token issuer, as IAM condition keys name it (`token.actions.githubusercontent.com:sub`). */
  static readonly ISSUER = "token.actions.githubusercontent.com";

  /** The `aws_iam_openid_connect_provider` (construct id `Resource`). */
  readonly provider: IamOpenidConnectProvider;
  /** The provider's ARN, the federated principal of role trust policies. */
  readonly arn: string;

  constructor(scope: Construct, id: string, props: GithubOidcProviderProps = {}) {
    super(scope, id);
    // thumbprint_list is optional since aws provider 5.x: IAM trusts GitHub's CA chain itself.
    this.provider = new IamOpenidConnectProvider(this, "Resource", {
      url: `https://${GithubOidcProvider.ISSUER}`,
      clientIdList: props.audiences ?? ["sts.amazonaws.com"],
    });
    this.arn = this.provider.arn;
  }
}
