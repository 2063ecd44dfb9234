/**
 * An environment's alarm topic: an SNS topic encrypted with its own rotating KMS key, which only
 * CloudWatch alarms of this account (in the topic's region) may publish to, and email
 * subscriptions. CloudWatch sends an alarm's notifications only to a topic in the alarm's own
 * region, so an environment whose CloudFront alarms live in us-east-1 has a second one there.
 */
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { TerraformProvider } from "cdktf";
import { Construct } from "constructs";
import { withAccountAndRegion, stackPartition } from "./aws-common";
import { checkAccountId, checkRegion, invalid, isKnown, policyJson, resourceName } from "./util";
import * as kinds from "./validators";
import { checkValue } from "./validators";

/** Props of {@link AlarmTopic}. */
export interface AlarmTopicProps {
  /** Names the topic (`<name>-alarms`) and the key's alias; lower-case letters, digits and '-'. */
  readonly name: string;
  /**
   * The account whose alarms may publish; the key's administrators are its IAM policies.
   * @default the single allowed account of the stack's AWS provider (`allowedAccountIds`), else the caller identity's at plan
   */
  readonly accountId?: string;
  /**
   * The topic's region: the region of the alarms that notify it.
   * @default the region of the stack's AWS provider, else the `aws_region` data source's at plan
   */
  readonly region?: string;
  /**
   * The provider of that region, when it is not the stack's default (e.g. a us-east-1 alias for
   * CloudFront's alarms).
   * @default the stack's default AWS provider
   */
  readonly provider?: TerraformProvider;
  /**
   * Email addresses subscribed to the topic. SNS emails each a confirmation link first; until it
   * is followed the subscription is `PendingConfirmation` and receives nothing.
   * @default [] - no subscription: subscribe a pager, chat (AWS Chatbot) or queue to {@link AlarmTopic.arn}
   */
  readonly emails?: readonly string[];
  /**
   * Terraform `lifecycle.prevent_destroy` on the key: a deleted key leaves queued notifications unreadable.
   * @default true
   */
  readonly preventDestroy?: boolean;
}

/**
 * One encrypted SNS topic for alarm notifications. The key policy lets the account's IAM
 * policies administer the key and CloudWatch (for alarms of this account only) encrypt with it;
 * the topic policy lets only CloudWatch alarms of this account and region publish.
 * Construct ids: `Resource` (the topic), `Key`, `KeyAlias`, `Policy`, `Email-<address>`.
 */
export class AlarmTopic extends Construct {
  /** The `aws_sns_topic`. */
  public readonly topic: SnsTopic;
  /** The topic's ARN: the alarm action of every alarm in its region. */
  public readonly arn: string;
  /** The topic's name, `<name>-alarms`. */
  public readonly topicName: string;
  /** The key encrypting the topic's messages at rest. */
  public readonly key: KmsKey;
  /** The email subscriptions, in the order given. */
  public readonly subscriptions: SnsTopicSubscription[];

  constructor(scope: Construct, id: string, given: AlarmTopicProps) {
    super(scope, id);
    // Account and region default from the stack, so the rest reads them as given.
    const props = withAccountAndRegion(this, given);
    const emails = props.emails ?? [];
    checkAccountId(this, "accountId", props.accountId);
    checkRegion(this, "region", props.region);
    if (isKnown(props.name) && !/^[a-z0-9]([a-z0-9-]{0,200}[a-z0-9])?$/.test(props.name)) {
      invalid(this, "name", props.name, "lower-case letters, digits and '-', starting and ending with a letter or digit");
    }
    emails.forEach((email, i) => checkValue(this, `emails[${i}]`, email, kinds.emailAddress));
    const duplicate = emails.find((e, i) => isKnown(e) && emails.indexOf(e) !== i);
    if (duplicate !== undefined) invalid(this, "emails", emails, `each address once; ${duplicate} is repeated`);

    const { partition } = stackPartition(this, props.region);
    const { accountId, region, provider } = props;
    this.topicName = resourceName([props.name, "alarms"], 256);
    const alarmsOfThisAccount = `arn:${partition}:cloudwatch:${region}:${accountId}:alarm:*`;

    this.key = new KmsKey(this, "Key", {
      provider,
      description: `${this.topicName}: encrypts alarm notifications at rest`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      ...((props.preventDestroy ?? true) ? { lifecycle: { preventDestroy: true } } : {}),
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          { Sid: "AccountIam", Effect: "Allow", Principal: { AWS: `arn:${partition}:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
          {
            // CloudWatch publishes to an encrypted topic only when it may use the topic's key.
            Sid: "CloudWatchAlarms",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": alarmsOfThisAccount } },
          },
        ],
      }),
      tags: { Name: this.topicName },
    });
    new KmsAlias(this, "KeyAlias", { provider, name: `alias/${this.topicName}`, targetKeyId: this.key.keyId });

    this.topic = new SnsTopic(this, "Resource", {
      provider,
      name: this.topicName,
      kmsMasterKeyId: this.key.arn,
      tags: { Name: this.topicName },
    });
    this.arn = this.topic.arn;

    new SnsTopicPolicy(this, "Policy", {
      provider,
      arn: this.topic.arn,
      policy: policyJson({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "CloudWatchAlarmsOfThisAccount",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Resource: this.topic.arn,
            // Confused-deputy guard: alarms of another account cannot publish here.
            Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnLike: { "aws:SourceArn": alarmsOfThisAccount } },
          },
          {
            Sid: "AccountManagesTheTopic",
            Effect: "Allow",
            Principal: { AWS: `arn:${partition}:iam::${accountId}:root` },
            Action: ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:Subscribe", "sns:ListSubscriptionsByTopic", "sns:Publish"],
            Resource: this.topic.arn,
          },
        ],
      }),
    });

    // Ids by address, not position: removing one address never replaces (and unconfirms) the others.
    this.subscriptions = emails.map(
      (email) => new SnsTopicSubscription(this, `Email-${email.toLowerCase()}`, { provider, topicArn: this.topic.arn, protocol: "email", endpoint: email }),
    );
  }
}
