"""Enumerations whose members carry the French label shown to users."""

from __future__ import annotations

import enum


class LabelledEnum(enum.StrEnum):
    """A string enum whose members also have a French ``label``."""

    label: str

    def __new__(cls, value: str, label: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.label = label
        return obj


class Sector(LabelledEnum):
    """Target sectors (filières) of the territory."""

    AERONAUTICS = "aeronautics", "Aéronautique"
    ECO_ACTIVITIES = "eco_activities", "Éco-activités"
    HEALTH = "health", "Santé"
    ESS = "ess", "Économie sociale et solidaire"
    LOGISTICS = "logistics", "Logistique"
    BUILDING = "building", "Bâtiment et travaux publics"
    PERSONAL_SERVICES = "personal_services", "Services à la personne"
    CRAFTS = "crafts", "Artisanat"
