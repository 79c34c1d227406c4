"""Warden access tokens verify with a standard JWT library (PyJWT) against the published JWKS."""

import httpx
import jwt
import pytest


@pytest.fixture(scope="module")
def agent(cluster):
    return cluster.register_agent({
        "id": "jwt-bot", "name": "JWT bot", "owner": "anne", "kind": "agent", "scopes": ["invoice:approve", "invoice:read"]})


def issue(cluster, secret, node=0):
    response = cluster.oauth("/oauth/token", node=node, form={
        "grant_type": "client_credentials", "client_id": "jwt-bot", "client_secret": secret, "scope": "invoice:approve"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def test_token_verifies_with_pyjwt_against_jwks(cluster, agent):
    access_token = issue(cluster, agent)
    header = jwt.get_unverified_header(access_token)
    assert header["alg"] == "EdDSA" and header["typ"] == "at+jwt", header

    metadata = httpx.get(cluster.urls[1] + "/.well-known/oauth-authorization-server", timeout=20).json()
    jwks = httpx.get(cluster.urls[1] + "/.well-known/jwks.json", timeout=20).json()
    matching = [key for key in jwks["keys"] if key.get("kid") == header["kid"]]
    assert len(matching) == 1, f"kid {header['kid']} not exactly once in {jwks}"

    claims = jwt.decode(access_token, key=jwt.PyJWK(matching[0]), algorithms=["EdDSA"],
                        audience="jwt-bot", issuer=metadata["issuer"])
    assert claims["client_id"] == "jwt-bot"
    assert claims["scope"] == "invoice:approve"
    for name in ("sub", "exp", "iat", "jti", "warden_rev"):
        assert name in claims, claims


def test_tampered_token_fails_verification(cluster, agent):
    access_token = issue(cluster, agent, node=2)
    header = jwt.get_unverified_header(access_token)
    jwks = httpx.get(cluster.urls[0] + "/.well-known/jwks.json", timeout=20).json()
    key = jwt.PyJWK(next(key for key in jwks["keys"] if key.get("kid") == header["kid"]))
    head, payload, signature = access_token.split(".")
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BA")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(".".join([head, payload, flipped]), key=key, algorithms=["EdDSA"], audience="jwt-bot",
                   options={"verify_iss": False})
