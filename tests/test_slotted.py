"""slotted.Slotted: records compared, hashed and shown by their fields."""

from __future__ import annotations

import pytest

from pytest_tasktracker.slotted import Slotted


class Point(Slotted):
    __slots__ = ("x", "y")

    def __init__(self, x: int, y: tuple[str, ...] = ()) -> None:
        self.x = x
        self.y = y


class Other(Slotted):
    __slots__ = ("x", "y")

    def __init__(self, x: int, y: tuple[str, ...] = ()) -> None:
        self.x = x
        self.y = y


def test_records_are_equal_by_their_fields_and_type() -> None:
    assert Point(1, ("a",)) == Point(1, ("a",))
    assert Point(1) != Point(2)
    assert Point(1) != Other(1)  # the same fields, another record
    assert Point(1) != (1, ())  # not a tuple
    assert len({Point(1, ("a",)), Point(1, ("a",)), Point(2)}) == 2


def test_a_record_shows_its_fields_in_order() -> None:
    assert repr(Point(1, ("a",))) == "Point(x=1, y=('a',))"
    assert Point(3)._asdict() == {"x": 3, "y": ()}
    assert list(Point(3)._asdict()) == ["x", "y"]


def test_replace_makes_a_changed_copy() -> None:
    first = Point(1, ("a",))
    second = first._replace(y=("b",))
    assert (first, second) == (Point(1, ("a",)), Point(1, ("b",)))
    assert type(second) is Point
    with pytest.raises(TypeError, match=r"^Point has no field 'z'$"):
        first._replace(z=1)


def test_a_record_holds_only_its_fields() -> None:
    with pytest.raises(AttributeError):
        Point(1).z = 2  # type: ignore[attr-defined]
