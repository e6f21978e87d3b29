"""The HTTP API, its Cognito user pool and the JWT authorizer in front of the HR routes."""

from __future__ import annotations

import json

import jsii
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from shared.authz.policy import Role

# The roles the API authorizes against, carried in the token's `cognito:groups` claim.
# One group per role of shared/authz/policy.Role: the names the API's claims parser reads back.
GROUPS = tuple(role.value for role in Role)
DEPARTMENT_ATTRIBUTE = "department"  # custom:department (interviewers)
CANDIDATE_ATTRIBUTE = "candidate_id"  # custom:candidate_id (candidates: whose record /v1/me shows)

# Whole-API limits; the webhook route is unauthenticated, so it must not scale without bound.
THROTTLE = apigwv2.ThrottleSettings(rate_limit=100, burst_limit=200)

ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "requestTime": "$context.requestTime",
        "sourceIp": "$context.identity.sourceIp",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationStatus": "$context.integrationStatus",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
        "latencyMs": "$context.responseLatency",
    }
)


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_function: lambda_.IFunction,
        webhook_function: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        self.user_pool = cognito.UserPool(
            self,
            "Users",
            self_sign_up_enabled=False,  # HR admins invite users
            sign_in_aliases=cognito.SignInAliases(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            custom_attributes={
                DEPARTMENT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
                CANDIDATE_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        for group in GROUPS:
            cognito.UserPoolGroup(self, f"Group-{group}", user_pool=self.user_pool, group_name=group)
        self.client = self.user_pool.add_client(
            "Client",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            disable_o_auth=True,  # the hosted UI and its callback URLs come with the web console
            prevent_user_existence_errors=True,
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True)
            .with_custom_attributes(DEPARTMENT_ATTRIBUTE, CANDIDATE_ATTRIBUTE),
            # The department scopes what a user may see: only an admin may change it, never the user.
            write_attributes=cognito.ClientAttributes().with_standard_attributes(email=True),
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(1),
        )
        authorizer = authorizers.HttpJwtAuthorizer(
            "Jwt",
            f"https://{self.user_pool.user_pool_provider_url}",
            jwt_audience=[self.client.user_pool_client_id],
        )

        self.http_api = apigwv2.HttpApi(self, "Http", create_default_stage=False)
        access_logs = logs.LogGroup(self, "AccessLogs", retention=logs.RetentionDays.ONE_MONTH)
        self.stage = self.http_api.add_stage(
            "Stage",  # not "Default": CDK drops that id from logical ids, clashing with the API's
            stage_name="$default",
            auto_deploy=True,
            throttle=THROTTLE,
            access_log_settings=_AccessLogSettings(access_logs),
        )

        api = integrations.HttpLambdaIntegration("ApiIntegration", api_function)
        webhook = integrations.HttpLambdaIntegration("WebhookIntegration", webhook_function)
        # Vendors sign webhook bodies with HMAC, checked by the function: no JWT here.
        self.http_api.add_routes(path="/v1/webhooks/{vendor}", methods=[apigwv2.HttpMethod.POST], integration=webhook)
        for public in ("/v1/health", "/v1/openapi.json"):
            self.http_api.add_routes(path=public, methods=[apigwv2.HttpMethod.GET], integration=api)
        # Media links carry their own HMAC token, checked by the function, valid 15 minutes at most:
        # a <video> element cannot send a bearer token (docs/media.md).
        self.http_api.add_routes(path="/v1/media/{token}", methods=[apigwv2.HttpMethod.GET], integration=api)
        self.http_api.add_routes(
            path="/v1/{proxy+}", methods=[apigwv2.HttpMethod.ANY], integration=api, authorizer=authorizer
        )

    @property
    def url(self) -> str:
        return self.stage.url


@jsii.implements(apigwv2.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return apigw.AccessLogFormat.custom(ACCESS_LOG_FORMAT)
