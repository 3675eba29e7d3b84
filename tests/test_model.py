"""The engine classes write their ``__init__`` out (so mypyc compiles it): it must stay the dataclass's."""

from __future__ import annotations

import ast
import copy
import dataclasses
import pickle
from pathlib import Path
from typing import Any

import pytest

from tracktui import model
from tracktui.model import Attempt, AttemptResult, Delivery, Event, EventKind, Message, NoticeKind, Status

ENGINE_CLASSES = (Event, Attempt, Delivery, Message)


def _annotations(cls: type) -> dict[str, str]:
    """Field annotations as written in model.py (a mypyc-compiled class reports ``X | None`` as ``type``)."""
    tree = ast.parse(Path(model.__file__).with_name("model.py").read_text(encoding="utf-8"))
    body = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == cls.__name__).body
    return {
        node.target.id: ast.unparse(node.annotation)
        for node in body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def _values(cls: type, names: list[str]) -> list[Any]:
    annotations = _annotations(cls)
    return [_sample(annotations[name], index) for index, name in enumerate(names)]


def _sample(annotation: str, index: int) -> Any:
    """A value of the annotated type that differs for every field ``index``."""
    kind = annotation.removesuffix(" | None")
    samples: dict[str, Any] = {
        "str": f"value-{index}",
        "int": 1000 + index,
        "float": 0.5 + index,
        "bool": index % 2 == 0,
        "EventKind": list(EventKind)[index % len(EventKind)],
        "AttemptResult": list(AttemptResult)[index % len(AttemptResult)],
        "Status": list(Status)[index % len(Status)],
        "NoticeKind": list(NoticeKind)[index % len(NoticeKind)],
        "Attempt": Attempt(float(index), AttemptResult.SENT),
        "list[Attempt]": [Attempt(float(index), AttemptResult.BOUNCED)],
        "dict[str, Delivery]": {f"rcpt-{index}": Delivery(index, f"rcpt-{index}", Status.DEFERRED)},
        "dict[str, str]": {f"d{index}": f"rcpt-{index}"},
        "list[str]": [f"line-{index}"],
    }
    return samples[kind]


@pytest.mark.parametrize("cls", ENGINE_CLASSES, ids=lambda cls: cls.__name__)
def test_positional_arguments_follow_the_field_order(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = _values(cls, [field.name for field in fields])
    instance = cls(*values)
    assert [getattr(instance, field.name) for field in fields] == values


@pytest.mark.parametrize("cls", ENGINE_CLASSES, ids=lambda cls: cls.__name__)
def test_omitted_arguments_take_the_field_defaults(cls: type) -> None:
    fields = dataclasses.fields(cls)
    required = [f for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    values = _values(cls, [field.name for field in required])
    first, second = cls(*values), cls(*values)
    for field in fields[len(required) :]:
        if field.default_factory is not dataclasses.MISSING:
            expected = field.default_factory()
            assert getattr(first, field.name) == expected, field.name
            assert getattr(first, field.name) is not getattr(second, field.name), f"{field.name} is shared"
        else:
            assert getattr(first, field.name) == field.default, field.name


@pytest.mark.parametrize("cls", ENGINE_CLASSES, ids=lambda cls: cls.__name__)
def test_keywords_work_as_with_a_generated_init(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = dict(zip([field.name for field in fields], _values(cls, [field.name for field in fields]), strict=True))
    instance = cls(**values)
    assert dataclasses.asdict(instance) == dataclasses.asdict(cls(*values.values()))
    assert instance == cls(*values.values())


@pytest.mark.parametrize("cls", ENGINE_CLASSES, ids=lambda cls: cls.__name__)
def test_pickle_and_deepcopy_rebuild_equal_objects(cls: type) -> None:
    """The sync pipeline pickles live messages to its worker; tests deep-copy drained ones."""
    fields = dataclasses.fields(cls)
    original = cls(*_values(cls, [field.name for field in fields]))
    for copied in (pickle.loads(pickle.dumps(original)), copy.deepcopy(original)):
        assert copied == original
        assert copied is not original
