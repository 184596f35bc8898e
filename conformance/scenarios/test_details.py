"""Validation step 1 of the guide: retrieve the audio's details and compare them with what create returned."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.checks.audio import details_equal_created, details_equal_listed, has_every_field
from conformance.manifest import MediaCase
from conformance.pytest_fixtures import ClientFactory
from conformance.scenarios._support import (
    accepted_rows,
    require_created,
)
from conformance.workflow import Upload, list_all

Uploaded = Callable[..., Upload]


@pytest.mark.requirement("AUD-DETAILS-200")
@accepted_rows
def test_details_equal_create(uploaded: Uploaded, media: MediaCase, client_for: ClientFactory) -> None:
    """`GET .../audios/{audio}` answers 200 with the same audio (processing may fill in state and media fields)."""
    upload = uploaded(media)
    created = require_created(upload)
    response = client_for("primary").get_audio(upload.space, created["handle"])
    settled = created.get("state") == "available"
    details = details_equal_created(response, created, settled=settled)
    has_every_field(details)
    if not settled and upload.settled is not None:  # asynchronous: compare the processed fields with the list
        found = list_all(client_for("primary"), upload.space, search=created["handle"])
        details_equal_listed(details, next((i for i in found if i.get("handle") == created["handle"]), None))
