"""``POST /api/auth/token`` and ``POST /api/auth/revoke``."""

from __future__ import annotations

from flask import current_app, g, request

from web.api.blueprint import Blueprint
from web.api.presenters import iso
from web.api.schemas.common import SignedOutSchema, TokenRequestSchema, TokenSchema

blp = Blueprint("auth", __name__, url_prefix="/api/auth", description="Sign in and out")


@blp.route("/token", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(200, TokenSchema)
@blp.doc(security=[])
def issue_token(credentials):
    """Exchange a user name and password for an expiring bearer token."""
    container = current_app.extensions["caseledger"]
    claims = container.tokens.new_claims(credentials["username"])
    user = container.directory.authenticate(
        credentials["username"], credentials["password"], token_id=claims.token_id, client=request.remote_addr
    )
    return {
        "token": container.tokens.sign(claims),
        "role": user.role,
        "unit": user.unit,
        "expires_at": iso(claims.expires_at, "seconds"),
    }


@blp.route("/revoke", methods=["POST"])
@blp.response(200, SignedOutSchema)
def revoke_token():
    """Revoke the token this request carries (sign out)."""
    container = current_app.extensions["caseledger"]
    user = container.directory.revoke_token(g.claims.username, g.claims.token_id, g.claims.expires_at, g.actor)
    return {"revoked": True, "user": user.username}
