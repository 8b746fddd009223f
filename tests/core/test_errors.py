"""Typed errors keep their user message and details across a pickle (the model process)."""

from __future__ import annotations

import pickle

import pytest

from core.errors import CoreError, EncoderProcessError, HashingInputError, ModelNotAvailableError


@pytest.mark.parametrize("cls", [CoreError, ModelNotAvailableError, EncoderProcessError])
def test_errors_survive_a_pickle_round_trip_with_both_fields(cls: type[CoreError]) -> None:
    error = cls("The weights could not be loaded.", "RuntimeError: bad zip")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert copy.user_message == error.user_message
    assert copy.details == error.details
    assert str(copy) == str(error)


def test_an_error_that_is_also_a_value_error_stays_one() -> None:
    copy = pickle.loads(pickle.dumps(HashingInputError("Bad shape.", "(3, 4)")))
    assert isinstance(copy, ValueError)
    assert copy.user_message == "Bad shape."
