"""Deterministic synthetic demo data, calibrated to the public figures in DATA.md ("Demo data")."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from dashboard import schema
from dashboard.nationality import name_of
from dashboard.schema import DEMO_SOURCE, REGIONS

DEMO_START = date(2018, 1, 1)
DEMO_END = date(2026, 10, 31)
SEED = 20240917  # the first £75m BSC announcement, 17 Sep 2024

YEARS = tuple(range(DEMO_START.year, DEMO_END.year + 1))
DAYS = np.arange(np.datetime64(DEMO_START), np.datetime64(DEMO_END) + 1)
QUALITY = "Synthetic"
CHANNEL = "English Channel"
HGV = "Channel ports (HGV)"
REGION_OF = {route: region for region, routes in REGIONS.items() for route in routes}

# Home Office small-boat arrivals (people, boats); 2026 is January–October and invented.
CHANNEL_YEARS = {
    2018: (299, 43),
    2019: (1_843, 164),
    2020: (8_462, 641),
    2021: (28_526, 1_034),
    2022: (45_755, 1_110),
    2023: (29_437, 602),
    2024: (36_816, 695),
    2025: (41_472, 672),
    2026: (33_090, 522),
}
CHANNEL_2024_MONTHS = (1_335, 920, 3_180, 2_132, 2_881, 3_041, 3_414, 4_149, 4_192, 5_417, 2_901, 3_254)
CALM_SHARE = (0.22, 0.22, 0.28, 0.36, 0.42, 0.48, 0.52, 0.55, 0.50, 0.40, 0.28, 0.24)  # by month
# Channel dead and missing a year, IOM-like ("Mainland Europe to the UK").
CHANNEL_DEAD_MISSING = (4, 50, 8, 45, 6, 24, 85, 36, 40)
# Channel interceptions on French beaches before the weekly series starts (2024: Jan–Apr).
CHANNEL_EARLY_INTERCEPTIONS = {2018: 12, 2019: 45, 2020: 110, 2021: 160, 2022: 190, 2023: 210, 2024: 70}
PREVENTIONS_START = date(2024, 5, 5)

# Frontex-like detections on all routes a year; 2022–2024 are the published totals.
FLOW_TOTALS = {
    2018: 149_870,
    2019: 140_210,
    2020: 124_980,
    2021: 200_460,
    2022: 326_217,
    2023: 381_319,
    2024: 240_021,
    2025: 180_320,
    2026: 119_750,
}


class Place(NamedTuple):
    label: str
    lat: float
    lon: float
    seaward: float | None  # bearing in degrees from the shore out to sea; None for a site on land
    weight: float = 1.0


class Leg(NamedTuple):
    label: str
    start: tuple[float, float]  # (lon, lat), offshore
    end: tuple[float, float]
    jitter_km: float  # how far either side of the track a point may fall


@dataclass(frozen=True)
class Route:
    mode: str
    description: str
    path: tuple[tuple[float, float], ...]
    nationalities: dict[str, float]
    season: tuple[float, ...]
    departures: tuple[Place, ...] = ()
    arrivals: tuple[Place, ...] = ()
    legs: tuple[Leg, ...] = ()
    volume: tuple[int, ...] = ()  # relative detections a year, 2018..2026 (2026: Jan–Oct)
    rate: float = 0.0  # incident rows per 1,000 detections
    mix: dict[str, float] = field(default_factory=dict)  # incident types other than dead or missing
    size: tuple[float, float, int] = (1, 0.0, 1)  # people per incident: median, log sd, max
    dead_missing: tuple[int, ...] = ()  # a year, 2018..2026
    dm_mean: float = 1.0  # mean dead and missing per incident
    missing_share: float = 0.0
    causes: dict[str, float] = field(default_factory=dict)


SEA_CAUSES = {"Drowning": 0.82, "Harsh conditions": 0.05, "Violence": 0.03, "Unknown": 0.10}
RESCUE_REASONS = ("Engine failure", "Taking on water", "Overcrowded boat", "Boat in distress")

ROUTE_SPECS: dict[str, Route] = {
    CHANNEL: Route(
        mode="sea",
        description="Small boats launched from beaches in northern France to the Kent coast.",
        path=((1.583, 50.745), (1.50, 50.80), (1.40, 50.92), (1.33, 51.03), (1.316, 51.122)),
        nationalities={
            "AFG": 18,
            "IRN": 13,
            "IRQ": 11,
            "SYR": 10,
            "ERI": 10,
            "SDN": 8,
            "VNM": 7,
            "ALB": 5,
            "TUR": 4,
            "EGY": 3,
            "PAK": 2,
            "BGD": 1,
            "GIN": 1,
            "CIV": 1,
            "UNK": 6,
        },
        season=(),
        departures=(
            Place("Gravelines, France", 51.017, 2.104, 345, 1.2),
            Place("Dunkirk, France", 51.057, 2.400, 340, 1.0),
            Place("Calais, France", 50.974, 1.838, 330, 1.0),
            Place("Wimereux, France", 50.772, 1.601, 275, 1.2),
            Place("Boulogne-sur-Mer, France", 50.745, 1.583, 275, 1.0),
            Place("Equihen-Plage, France", 50.677, 1.564, 270, 1.0),
            Place("Hardelot, France", 50.633, 1.575, 270, 1.0),
            Place("Berck, France", 50.402, 1.559, 270, 0.8),
        ),
        arrivals=(
            Place("Dover, Kent", 51.122, 1.316, 175, 4.0),
            Place("Dungeness, Kent", 50.917, 0.976, 160, 1.5),
            Place("Folkestone, Kent", 51.082, 1.188, 140, 1.0),
            Place("Hythe, Kent", 51.072, 1.082, 175, 1.0),
            Place("Deal, Kent", 51.223, 1.413, 90, 1.0),
            Place("Lydd-on-Sea, Kent", 50.948, 0.973, 105, 0.6),
            Place("Camber, East Sussex", 50.939, 0.799, 185, 0.4),
        ),
        legs=(
            Leg("Strait of Dover, mid-Channel", (1.50, 50.73), (1.02, 50.88), 2.0),
            Leg("Strait of Dover, mid-Channel", (1.52, 50.78), (1.20, 51.05), 2.0),
            Leg("Strait of Dover, mid-Channel", (1.50, 50.63), (1.00, 50.87), 2.0),
            Leg("Strait of Dover, mid-Channel", (1.48, 50.42), (0.98, 50.86), 2.0),
            Leg("Strait of Dover, mid-Channel", (1.50, 50.68), (1.08, 51.04), 2.0),
            Leg("Strait of Dover, mid-Channel", (1.80, 51.00), (1.35, 51.09), 2.0),
            Leg("Strait of Dover, mid-Channel", (2.10, 51.05), (1.45, 51.21), 2.0),
        ),
        causes={"Drowning": 0.72, "Hypothermia": 0.14, "Unknown": 0.14},
    ),
    HGV: Route(
        mode="land",
        description="People concealed in lorries and vans through the juxtaposed controls at Dunkirk, "
        "Calais, Coquelles and Dover.",
        path=((2.210, 51.030), (1.865, 50.966), (1.812, 50.928), (1.131, 51.094), (0.875, 51.146)),
        nationalities={
            "ALB": 20,
            "VNM": 14,
            "AFG": 10,
            "IRQ": 9,
            "IRN": 8,
            "ERI": 8,
            "SDN": 7,
            "SYR": 6,
            "EGY": 4,
            "PAK": 4,
            "TUR": 3,
            "BGD": 2,
            "UNK": 5,
        },
        season=(1.2, 1.2, 1.1, 1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.2),
        departures=(
            Place("Port of Dover, Kent", 51.127, 1.335, None, 2.0),
            Place("Port of Calais, France", 50.966, 1.865, None, 2.0),
            Place("Coquelles (Channel Tunnel), France", 50.928, 1.812, None, 1.5),
            Place("Folkestone (Channel Tunnel), Kent", 51.094, 1.131, None, 1.0),
            Place("Port of Dunkirk, France", 51.030, 2.210, None, 0.8),
        ),
        volume=(3_400, 2_900, 2_100, 1_800, 2_300, 2_600, 2_900, 3_100, 2_400),
        rate=20.0,
        mix={"interception": 1.0},
        size=(4, 0.7, 40),
        dead_missing=(2, 1, 1, 2, 1, 1, 2, 1, 1),
        dm_mean=1.0,
        causes={"Vehicle accident": 0.8, "Unknown": 0.2},
    ),
    "Central Mediterranean": Route(
        mode="sea",
        description="Boats from Libya and Tunisia to Lampedusa, Sicily, Calabria and Malta.",
        path=(
            (12.091, 32.948),
            (12.20, 33.60),
            (12.45, 34.70),
            (12.62, 35.45),
            (13.60, 36.30),
            (14.70, 36.55),
            (14.844, 36.724),
        ),
        nationalities={
            "BGD": 13,
            "TUN": 12,
            "EGY": 11,
            "SYR": 9,
            "GIN": 8,
            "CIV": 8,
            "PAK": 6,
            "ERI": 5,
            "SDN": 5,
            "MLI": 4,
            "SEN": 3,
            "MAR": 3,
            "DZA": 2,
            "AFG": 2,
            "UNK": 9,
        },
        season=(0.5, 0.5, 0.7, 0.9, 1.1, 1.3, 1.5, 1.6, 1.5, 1.2, 0.8, 0.6),
        departures=(
            Place("Zuwara, Libya", 32.948, 12.091, 0, 2.0),
            Place("Sabratha, Libya", 32.821, 12.486, 0, 1.5),
            Place("Tripoli, Libya", 32.915, 13.184, 15, 1.5),
            Place("Sfax, Tunisia", 34.732, 10.775, 120, 2.0),
            Place("Mahdia, Tunisia", 35.510, 11.071, 60, 0.7),
            Place("Tobruk, Libya", 32.079, 23.981, 90, 0.6),
        ),
        arrivals=(
            Place("Lampedusa, Italy", 35.491, 12.604, 180, 5.0),
            Place("Pozzallo, Sicily", 36.724, 14.844, 180, 1.0),
            Place("Porto Empedocle, Sicily", 37.283, 13.530, 200, 0.8),
            Place("Augusta, Sicily", 37.221, 15.220, 90, 0.7),
            Place("Roccella Ionica, Calabria", 38.328, 16.407, 120, 0.8),
            Place("Valletta, Malta", 35.901, 14.516, 45, 0.4),
        ),
        legs=(
            Leg("Central Mediterranean, off Libya", (12.15, 33.05), (12.62, 35.40), 10),
            Leg("Central Mediterranean, off Libya", (13.20, 33.05), (12.70, 35.40), 10),
            Leg("Central Mediterranean, south of Malta", (13.25, 33.05), (14.45, 35.72), 10),
            Leg("Central Mediterranean, off Tunisia", (11.25, 35.00), (12.40, 35.42), 5),
            Leg("Ionian Sea, off eastern Libya", (23.90, 32.25), (16.60, 38.20), 25),
        ),
        volume=(23_485, 14_003, 35_673, 67_724, 102_529, 157_479, 66_766, 66_000, 52_000),
        rate=4.0,
        mix={"arrival": 0.40, "rescue": 0.25, "interception": 0.25, "launch": 0.10},
        size=(45, 0.7, 600),
        dead_missing=(1_314, 1_262, 999, 1_553, 1_417, 2_290, 1_695, 1_340, 1_090),
        dm_mean=8.0,
        missing_share=0.6,
        causes=SEA_CAUSES,
    ),
    "Eastern Mediterranean": Route(
        mode="sea",
        description="Short crossings from the Turkish coast to the Greek islands, and from eastern Libya to Crete.",
        path=(
            (26.883, 39.071),
            (26.70, 39.08),
            (26.62, 38.95),
            (26.20, 38.80),
            (25.40, 38.75),
            (24.90, 38.40),
            (24.66, 38.10),
            (24.64, 37.96),
            (24.45, 37.93),
            (24.03, 38.02),
        ),
        nationalities={
            "SYR": 22,
            "AFG": 18,
            "PAK": 8,
            "IRQ": 8,
            "EGY": 7,
            "TUR": 6,
            "IRN": 5,
            "SDN": 5,
            "ERI": 4,
            "BGD": 3,
            "DZA": 2,
            "MAR": 2,
            "TUN": 1,
            "UNK": 9,
        },
        season=(0.6, 0.5, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.5, 1.4, 1.1, 0.8),
        departures=(
            Place("Behramkale, Turkey", 39.483, 26.336, 180, 1.0),
            Place("Dikili, Turkey", 39.071, 26.883, 270, 1.5),
            Place("Çeşme, Turkey", 38.322, 26.300, 300, 1.0),
            Place("Kuşadası, Turkey", 37.871, 27.246, 270, 1.0),
            Place("Bodrum, Turkey", 37.028, 27.425, 180, 1.0),
            Place("Tobruk, Libya", 32.079, 23.981, 90, 0.8),
        ),
        arrivals=(
            Place("Mytilene, Lesvos", 39.105, 26.566, 90, 2.0),
            Place("Skala Sykaminias, Lesvos", 39.382, 26.310, 0, 1.0),
            Place("Chios, Greece", 38.371, 26.145, 90, 1.0),
            Place("Pythagorio, Samos", 37.690, 26.950, 180, 1.2),
            Place("Kos, Greece", 36.894, 27.289, 30, 1.2),
            Place("Ierapetra, Crete", 35.009, 25.740, 180, 0.6),
            Place("Kaloi Limenes, Crete", 34.934, 24.810, 180, 0.6),
        ),
        legs=(
            Leg("Aegean Sea, off Lesvos", (26.68, 39.04), (26.60, 39.20), 2.0),
            Leg("Aegean Sea, off Lesvos", (26.12, 39.43), (26.38, 39.45), 1.2),
            Leg("Aegean Sea, off Chios", (26.22, 38.28), (26.23, 38.45), 1.2),
            Leg("Aegean Sea, off Samos", (26.78, 37.63), (27.00, 37.63), 1.2),
            Leg("Aegean Sea, off Kos", (27.12, 36.95), (27.35, 36.935), 0.8),
            Leg("Libyan Sea, south of Crete", (23.90, 32.25), (24.35, 34.72), 15),
        ),
        volume=(56_561, 83_333, 20_283, 20_567, 42_831, 60_073, 69_436, 45_000, 30_000),
        rate=4.0,
        mix={"arrival": 0.45, "interception": 0.35, "rescue": 0.10, "launch": 0.10},
        size=(30, 0.5, 300),
        dead_missing=(174, 71, 106, 111, 378, 155, 248, 160, 110),
        dm_mean=4.0,
        missing_share=0.45,
        causes=SEA_CAUSES,
    ),
    "Western Mediterranean": Route(
        mode="sea",
        description="From Morocco and Algeria to mainland Spain and the Balearics, across the Strait of "
        "Gibraltar, and into Ceuta and Melilla.",
        path=((-2.790, 35.168), (-2.70, 35.45), (-2.60, 36.10), (-2.466, 36.828)),
        nationalities={
            "DZA": 35,
            "MAR": 30,
            "MLI": 5,
            "GIN": 4,
            "CIV": 4,
            "SEN": 3,
            "SYR": 3,
            "TUN": 2,
            "SDN": 2,
            "BGD": 1,
            "EGY": 1,
            "UNK": 10,
        },
        season=(0.6, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.3, 1.3, 1.2, 1.0, 0.8),
        departures=(
            Place("Nador, Morocco", 35.168, -2.790, 35, 1.2),
            Place("Al Hoceima, Morocco", 35.248, -3.925, 115, 0.8),
            Place("Tangier, Morocco", 35.795, -5.809, 0, 1.0),
            Place("Oran, Algeria", 35.720, -0.642, 0, 1.2),
            Place("Mostaganem, Algeria", 35.938, 0.077, 330, 1.0),
        ),
        arrivals=(
            Place("Almería, Spain", 36.828, -2.466, 180, 2.0),
            Place("Motril, Spain", 36.720, -3.520, 180, 1.2),
            Place("Carboneras, Spain", 36.998, -1.898, 110, 0.6),
            Place("Cartagena, Spain", 37.578, -0.986, 180, 1.0),
            Place("Tarifa, Spain", 36.008, -5.604, 180, 0.8),
            Place("Algeciras, Spain", 36.124, -5.436, 90, 0.8),
            Place("Ceuta, Spain", 35.866, -5.331, 95, 1.0),
            Place("Melilla, Spain", 35.296, -2.926, 90, 0.6),
            Place("Formentera, Balearic Islands", 38.670, 1.482, 180, 0.6),
        ),
        legs=(
            Leg("Alboran Sea, off Morocco", (-2.75, 35.35), (-2.40, 36.70), 6),
            Leg("Alboran Sea", (-3.90, 35.35), (-3.52, 36.62), 6),
            Leg("Western Mediterranean, off Algeria", (-0.70, 35.85), (-0.98, 37.45), 6),
            Leg("Western Mediterranean, off Algeria", (0.05, 36.05), (1.45, 38.50), 10),
            Leg("Strait of Gibraltar", (-5.75, 35.85), (-5.60, 35.97), 1),
        ),
        volume=(56_245, 23_969, 17_228, 18_466, 15_134, 16_915, 16_967, 15_500, 11_000),
        rate=5.0,
        mix={"arrival": 0.45, "interception": 0.30, "rescue": 0.15, "launch": 0.10},
        size=(20, 0.6, 200),
        dead_missing=(811, 552, 351, 384, 338, 341, 290, 265, 190),
        dm_mean=5.0,
        missing_share=0.55,
        causes=SEA_CAUSES,
    ),
    "Atlantic (Canary Islands)": Route(
        mode="sea",
        description="Long sea crossings from Senegal, Mauritania and Western Sahara to the Canary Islands.",
        path=(
            (-17.483, 14.771),
            (-17.75, 15.50),
            (-17.60, 18.00),
            (-17.50, 20.80),
            (-17.30, 23.00),
            (-17.60, 25.50),
            (-17.95, 27.40),
            (-17.98, 27.643),
        ),
        nationalities={
            "MAR": 22,
            "MLI": 20,
            "SEN": 20,
            "GIN": 9,
            "CIV": 8,
            "DZA": 3,
            "SDN": 1,
            "SYR": 1,
            "BGD": 1,
            "EGY": 1,
            "UNK": 14,
        },
        season=(1.2, 0.9, 0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 1.1, 1.6, 1.7, 1.5),
        departures=(
            Place("Dakar, Senegal", 14.771, -17.483, 300, 1.0),
            Place("Mbour, Senegal", 14.407, -16.973, 220, 1.0),
            Place("Saint-Louis, Senegal", 16.029, -16.528, 270, 0.8),
            Place("Nouakchott, Mauritania", 18.090, -16.033, 270, 0.8),
            Place("Nouadhibou, Mauritania", 20.906, -17.046, 90, 1.2),
            Place("Dakhla, Western Sahara", 23.700, -15.939, 110, 1.0),
            Place("Tarfaya, Morocco", 27.941, -12.925, 300, 1.0),
        ),
        arrivals=(
            Place("La Restinga, El Hierro", 27.643, -17.980, 180, 2.0),
            Place("Arguineguín, Gran Canaria", 27.761, -15.678, 180, 1.5),
            Place("Los Cristianos, Tenerife", 28.045, -16.721, 200, 1.0),
            Place("Arrecife, Lanzarote", 28.961, -13.545, 150, 1.0),
            Place("Gran Tarajal, Fuerteventura", 28.221, -14.022, 160, 0.8),
        ),
        legs=(
            Leg("Atlantic Ocean, off Senegal", (-17.70, 14.75), (-17.95, 27.45), 18),
            Leg("Atlantic Ocean, off Mauritania", (-17.60, 20.80), (-15.65, 27.60), 12),
            Leg("Atlantic Ocean, off Western Sahara", (-16.25, 23.60), (-16.70, 27.90), 15),
            Leg("Atlantic Ocean, off Tarfaya", (-13.20, 27.90), (-13.70, 28.55), 5),
            Leg("Atlantic Ocean, off Senegal", (-17.10, 16.05), (-17.90, 27.45), 20),
        ),
        volume=(1_323, 2_718, 23_029, 22_504, 15_682, 40_403, 46_843, 17_500, 9_000),
        rate=6.0,
        mix={"arrival": 0.60, "rescue": 0.25, "interception": 0.10, "launch": 0.05},
        size=(60, 0.6, 280),
        dead_missing=(43, 210, 877, 1_153, 559, 959, 1_120, 640, 390),
        dm_mean=10.0,
        missing_share=0.8,
        causes={"Drowning": 0.6, "Harsh conditions": 0.25, "Unknown": 0.15},
    ),
    "Western Balkans": Route(
        mode="land",
        description="Overland from Greece through North Macedonia, Serbia and Bosnia and Herzegovina "
        "towards Hungary, Croatia and the Schengen area.",
        path=(
            (22.94, 40.64),
            (22.505, 41.14),
            (21.43, 42.00),
            (21.665, 42.255),
            (21.90, 43.32),
            (20.46, 44.82),
            (19.67, 46.10),
            (20.15, 46.25),
        ),
        nationalities={
            "SYR": 25,
            "AFG": 25,
            "TUR": 10,
            "PAK": 8,
            "IRQ": 5,
            "BGD": 5,
            "MAR": 4,
            "IRN": 3,
            "TUN": 3,
            "EGY": 2,
            "DZA": 2,
            "SDN": 1,
            "UNK": 7,
        },
        season=(0.6, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.3, 1.4, 1.4, 1.1, 0.8),
        departures=(
            Place("Horgoš, Serbia–Hungary border", 46.160, 19.970, None, 2.0),
            Place("Kelebija, Serbia–Hungary border", 46.175, 19.600, None, 1.0),
            Place("Šid, Serbia–Croatia border", 45.125, 19.230, None, 1.0),
            Place("Velika Kladuša, Bosnia–Croatia border", 45.185, 15.805, None, 1.2),
            Place("Bihać, Bosnia–Croatia border", 44.815, 15.870, None, 1.0),
            Place("Zvornik, Bosnia–Serbia border", 44.385, 19.105, None, 0.6),
            Place("Lojane, North Macedonia–Serbia border", 42.255, 21.670, None, 0.8),
            Place("Gevgelija, North Macedonia–Greece border", 41.140, 22.505, None, 0.8),
        ),
        volume=(5_869, 15_152, 27_162, 61_735, 145_600, 99_068, 21_520, 11_000, 7_000),
        rate=2.5,
        mix={"interception": 1.0},
        size=(12, 0.8, 150),
        dead_missing=(22, 35, 48, 55, 86, 62, 30, 22, 15),
        dm_mean=1.4,
        missing_share=0.05,
        causes={"Drowning": 0.35, "Vehicle accident": 0.30, "Hypothermia": 0.15, "Violence": 0.10, "Unknown": 0.10},
    ),
    "Eastern Borders": Route(
        mode="land",
        description="Overland from Belarus into Poland, Lithuania and Latvia, and along the EU's eastern land border.",
        path=((27.56, 53.90), (25.30, 53.90), (23.83, 53.68), (23.645, 53.51), (23.16, 53.13), (21.01, 52.23)),
        nationalities={
            "IRQ": 18,
            "SYR": 15,
            "AFG": 15,
            "IRN": 6,
            "PAK": 6,
            "VNM": 6,
            "TUR": 5,
            "SDN": 5,
            "ERI": 5,
            "EGY": 4,
            "BGD": 3,
            "UNK": 12,
        },
        season=(0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.5, 1.3, 0.8),
        departures=(
            Place("Kuźnica, Poland–Belarus border", 53.510, 23.645, None, 1.5),
            Place("Michałowo, Poland–Belarus border", 53.035, 23.880, None, 1.0),
            Place("Białowieża Forest, Poland–Belarus border", 52.700, 23.860, None, 1.5),
            Place("Druskininkai, Lithuania–Belarus border", 54.010, 23.990, None, 0.8),
            Place("Medininkai, Lithuania–Belarus border", 54.540, 25.650, None, 0.8),
            Place("Silene, Latvia–Belarus border", 55.680, 26.770, None, 0.6),
            Place("Vaalimaa, Finland–Russia border", 60.575, 27.820, None, 0.3),
        ),
        volume=(1_084, 722, 677, 7_915, 6_125, 6_149, 17_000, 9_500, 6_000),
        rate=6.0,
        mix={"interception": 1.0},
        size=(6, 0.8, 80),
        dead_missing=(3, 2, 2, 21, 26, 18, 14, 10, 7),
        dm_mean=1.2,
        missing_share=0.05,
        causes={"Hypothermia": 0.45, "Drowning": 0.20, "Harsh conditions": 0.15, "Unknown": 0.15, "Violence": 0.05},
    ),
}

# Year-specific shifts in a route's nationality mix (e.g. Albanians on the Channel in 2022).
NATIONALITY_TRENDS = {
    (CHANNEL, "ALB"): {2021: 1.8, 2022: 5.0, 2023: 0.6, 2024: 0.4, 2025: 0.4, 2026: 0.4},
    (CHANNEL, "VNM"): {2024: 1.5, 2025: 1.6, 2026: 1.6},
    ("Central Mediterranean", "TUN"): {2022: 1.4, 2023: 1.6},
    ("Central Mediterranean", "GIN"): {2023: 1.8},
    ("Central Mediterranean", "CIV"): {2023: 1.8},
    ("Central Mediterranean", "BGD"): {2024: 1.6, 2025: 1.8, 2026: 1.8},
    ("Atlantic (Canary Islands)", "MLI"): {2023: 1.5, 2024: 2.0, 2025: 1.5},
    ("Western Balkans", "SYR"): {2022: 1.4, 2023: 1.4},
}

REGION_INFO = {
    "UK & Channel": dict(
        description="The UK's south-east coast, the Strait of Dover and the northern French coast.",
        center=(50.95, 1.35, 8.5),
        iom=["English Channel to the UK", "Mainland Europe to the UK"],
        frontex=[],
        home_office=["English Channel", "Small boats"],
    ),
    "Mediterranean": dict(
        description="Sea routes from North Africa and Turkey to Italy, Malta, Greece and Spain.",
        center=(36.5, 13.0, 4.2),
        iom=["Central Mediterranean", "Eastern Mediterranean", "Western Mediterranean"],
        frontex=["Central Mediterranean", "Eastern Mediterranean", "Western Mediterranean"],
        home_office=[],
    ),
    "Atlantic": dict(
        description="The Atlantic route from West Africa to the Canary Islands.",
        center=(22.0, -16.0, 4.6),
        iom=["Atlantic route to the Canary Islands", "Western Africa / Atlantic route to the Canary Islands"],
        frontex=["Western African"],
        home_office=[],
    ),
    "Balkans & Eastern Europe": dict(
        description="Land routes through the Western Balkans and across the EU's eastern borders.",
        center=(48.5, 21.5, 4.6),
        iom=["Western Balkans", "Belarus-EU border"],
        frontex=["Western Balkan", "Eastern Borders", "Circular Route from Albania to Greece", "Black Sea"],
        home_office=[],
    ),
}

# Operations: fictional names are "Operation <first> <second>".
NAME_FIRST = (
    "Kestrel",
    "Heron",
    "Plover",
    "Curlew",
    "Gannet",
    "Petrel",
    "Tern",
    "Dunlin",
    "Osprey",
    "Shearwater",
    "Bittern",
    "Avocet",
    "Sanderling",
    "Redshank",
    "Whimbrel",
    "Kittiwake",
    "Fulmar",
    "Lapwing",
    "Godwit",
    "Turnstone",
    "Guillemot",
    "Cormorant",
    "Skua",
    "Egret",
    "Grebe",
    "Merganser",
    "Razorbill",
    "Puffin",
    "Oystercatcher",
    "Stonechat",
)
NAME_SECOND = (
    "Tide",
    "Shoal",
    "Reef",
    "Current",
    "Harbour",
    "Beacon",
    "Drift",
    "Ebb",
    "Swell",
    "Causeway",
    "Lantern",
    "Anchor",
    "Compass",
    "Keel",
    "Quay",
    "Breakwater",
    "Sandbar",
    "Estuary",
    "Headland",
    "Shingle",
    "Spindrift",
    "Mooring",
    "Fathom",
    "Tiller",
    "Groyne",
    "Slipway",
    "Lighthouse",
    "Riptide",
    "Saltmarsh",
    "Undertow",
)
N_OPERATIONS = 150
OP_START_YEARS = (6, 7, 8, 10, 12, 14, 20, 22, 16)  # relative, 2018..2026
BSC_FROM = date(2024, 9, 17)
OP_REGIONS = {  # weight, lead agencies and weights, partner pool, focal points (lat, lon)
    "UK & Channel": (
        0.55,
        {
            "NCA": 0.36,
            "BSC": 0.14,
            "Border Force": 0.12,
            "Immigration Enforcement": 0.12,
            "Kent Police": 0.08,
            "French Police aux Frontières": 0.10,
            "Europol (JIT)": 0.08,
        },
        (
            "Border Force",
            "Kent Police",
            "Immigration Enforcement",
            "French Police aux Frontières",
            "Belgian Federal Police",
            "German Federal Police",
            "Royal Netherlands Marechaussee",
            "Europol",
            "Crown Prosecution Service",
            "HMRC",
            "INTERPOL",
            "NCA",
            "BSC",
        ),
        (
            (51.127, 1.330),
            (51.080, 1.180),
            (50.960, 1.860),
            (51.030, 2.300),
            (50.727, 1.600),
            (50.928, 1.812),
            (51.146, 0.875),
            (51.280, 1.080),
            (51.272, 0.522),
        ),
    ),
    "Mediterranean": (
        0.20,
        {
            "NCA": 0.30,
            "Europol (JIT)": 0.35,
            "BSC": 0.10,
            "Italian Polizia di Stato": 0.10,
            "Hellenic Police": 0.08,
            "Spanish Guardia Civil": 0.07,
        },
        (
            "Italian Polizia di Stato",
            "Guardia di Finanza",
            "Hellenic Police",
            "Spanish Guardia Civil",
            "Europol",
            "Frontex",
            "INTERPOL",
            "French Police aux Frontières",
            "German Federal Police",
            "NCA",
            "BSC",
        ),
        (
            (37.502, 15.087),
            (38.116, 13.361),
            (35.500, 12.600),
            (35.899, 14.514),
            (37.984, 23.728),
            (38.423, 27.143),
            (32.887, 13.191),
            (36.132, -5.454),
            (36.834, -2.464),
            (36.806, 10.181),
        ),
    ),
    "Atlantic": (
        0.10,
        {"NCA": 0.25, "Europol (JIT)": 0.25, "Spanish Guardia Civil": 0.40, "BSC": 0.10},
        ("Spanish Guardia Civil", "Spanish National Police", "Frontex", "Europol", "INTERPOL", "NCA", "BSC"),
        (
            (28.124, -15.430),
            (28.464, -16.251),
            (20.940, -17.040),
            (14.716, -17.467),
            (23.700, -15.940),
            (28.963, -13.548),
        ),
    ),
    "Balkans & Eastern Europe": (
        0.15,
        {"NCA": 0.30, "Europol (JIT)": 0.40, "BSC": 0.10, "German Federal Police": 0.10, "Polish Border Guard": 0.10},
        (
            "German Federal Police",
            "Austrian Federal Police",
            "Bulgarian Border Police",
            "Polish Border Guard",
            "Lithuanian State Border Guard Service",
            "Serbian Border Police",
            "Europol",
            "Frontex",
            "INTERPOL",
            "NCA",
            "BSC",
        ),
        (
            (44.817, 20.457),
            (46.100, 19.667),
            (43.856, 18.413),
            (45.815, 15.982),
            (47.498, 19.040),
            (48.208, 16.373),
            (53.133, 23.164),
            (54.687, 25.280),
            (42.698, 23.322),
        ),
    ),
}
OP_ROUTES = {  # route weights within a region; one operation in ten spans the region
    "UK & Channel": {CHANNEL: 0.8, HGV: 0.2},
    "Mediterranean": dict.fromkeys(REGIONS["Mediterranean"], 1.0),
    "Atlantic": dict.fromkeys(REGIONS["Atlantic"], 1.0),
    "Balkans & Eastern Europe": {"Western Balkans": 0.6, "Eastern Borders": 0.4},
}
OP_ACTIVITIES = {
    "sea": (
        "supplying boats and engines",
        "organising launches and recruiting boat pilots",
        "moving proceeds through cash couriers and money service bureaux",
        "advertising crossings on social media",
        "storing boats and engines in inland warehouses",
        "forging travel and identity documents",
    ),
    "land": (
        "concealing people in lorries and vans",
        "running safe houses near the border",
        "moving people across forest sections of the border",
        "forging travel and identity documents",
        "moving proceeds through informal money transfers",
    ),
}
FY_2024_25 = (date(2024, 4, 1), date(2025, 3, 31))
NETWORKS_DISRUPTED_FY_2024_25 = 351
BOATS_ENGINES_WINDOW = (date(2023, 1, 1), date(2024, 8, 31))
BOATS_ENGINES_BY_AUG_2024 = 400

FUNDING_MONTHS = pd.date_range("2024-04-01", "2029-03-01", freq="MS")
FUNDING = {  # programme: lines (name, category) and windows (first month, last month, £, share per line)
    "Border Security Command": (
        (
            ("BSC staff (300 posts)", "staff"),
            ("NCA specialist investigators (100)", "staff"),
            ("Technology & surveillance", "technology"),
            ("International partnerships (incl. INTERPOL £6m)", "international"),
            ("Operations (Channel)", "operations"),
        ),
        (
            ("2024-09", "2026-03", 75_000_000, (0.30, 0.20, 0.22, 0.08, 0.20)),
            ("2024-11", "2026-03", 75_000_000, (0.25, 0.20, 0.25, 0.12, 0.18)),
            ("2026-04", "2029-03", 280_000_000, (0.34, 0.22, 0.20, 0.08, 0.16)),
        ),
    ),
    "NCA uplift": (
        (
            ("NCA officers (up to 300)", "staff"),
            ("NCA technology & data", "technology"),
            ("NCA international liaison", "international"),
        ),
        (("2025-09", "2028-03", 100_000_000, (0.70, 0.18, 0.12)),),
    ),
}
# organisation, unit, role, first-wave posts, NCA uplift posts
STAFF_POSTS = (
    ("BSC", "Intelligence", "Intelligence officer", 70, 0),
    ("BSC", "Intelligence", "Analyst", 50, 0),
    ("BSC", "Operations", "Investigator", 60, 0),
    ("BSC", "Operations", "Analyst", 30, 0),
    ("BSC", "Policy & Strategy", "Policy", 45, 0),
    ("BSC", "International", "Liaison officer", 45, 0),
    ("NCA", "OIC investigations", "Investigator", 60, 170),
    ("NCA", "OIC intelligence", "Intelligence officer", 30, 80),
    ("NCA", "OIC intelligence", "Analyst", 10, 30),
    ("NCA", "OIC international", "Liaison officer", 0, 20),
)
# Planned posts fill between these months (S-curve): first wave by organisation, then the NCA uplift.
STAFF_RAMPS = {"BSC": ("2024-09", "2025-12"), "NCA": ("2024-10", "2025-06"), "uplift": ("2025-10", "2028-03")}
STREAMS = ("channel", "preventions", "incidents", "flows", "operations", "funding", "staffing", "arrivals")

# Home Office irregular-migration detailed dataset (quarterly): the other methods of entry a year, illustrative
# of the published order of magnitude (people detected).
OTHER_METHODS = {
    "Inadequately documented air arrivals": (4_900, 4_600, 1_500, 1_200, 2_800, 3_900, 4_100, 4_300, 3_200),
    "Recorded detections at UK ports": (5_600, 3_900, 2_200, 1_300, 1_600, 1_400, 1_300, 1_200, 900),
    "Recorded detections in the UK": (6_600, 5_600, 3_500, 2_800, 2_600, 2_300, 2_000, 1_900, 1_400),
}
SMALL_BOATS = "Small boat arrivals"
ARRIVALS_END = date(2026, 9, 30)  # the last whole quarter of the demo period: quarterly releases lag
# The Home Office's world region of each nationality in the demo.
NATIONALITY_REGION = {
    "AFG": "Asia Central",
    "IRN": "Middle East",
    "IRQ": "Middle East",
    "SYR": "Middle East",
    "ERI": "Africa Sub-Saharan",
    "SDN": "Africa North",
    "VNM": "Asia South East",
    "ALB": "Europe Other",
    "TUR": "Europe Other",
    "EGY": "Africa North",
    "PAK": "Asia South",
    "BGD": "Asia South",
    "GIN": "Africa Sub-Saharan",
    "CIV": "Africa Sub-Saharan",
    "IND": "Asia South",
    "CHN": "Asia East",
    "UNK": "Other and unknown",
}
OTHER_NATIONALITIES: dict[str, float] = {
    "ALB": 16,
    "IND": 12,
    "CHN": 8,
    "VNM": 10,
    "IRQ": 8,
    "PAK": 8,
    "AFG": 6,
    "ERI": 5,
    "UNK": 4,
}
SEXES = {"Male": 0.86, "Female": 0.13, "Not known": 0.01}
AGE_GROUPS = {"Under 18": 0.14, "18 to 24": 0.33, "25 to 39": 0.42, "40 and over": 0.10, "Not known": 0.01}


def build() -> dict[str, pd.DataFrame]:
    """All demo tables, one frame per schema table, columns in schema order."""
    rng = dict(zip(STREAMS, np.random.default_rng(SEED).spawn(len(STREAMS)), strict=True))
    channel = _channel(rng["channel"])
    preventions, intercepts = _preventions(rng["preventions"], channel)
    frames = {
        "crossings_daily": channel.frame,
        "preventions_weekly": preventions,
        "incidents": _incidents(rng["incidents"], channel, intercepts),
        "route_flows": _route_flows(rng["flows"], channel),
        "routes": _routes(),
        "regions": _regions(),
        "operations": _operations(rng["operations"]),
        "funding": _funding(rng["funding"]),
        "staffing": _staffing(rng["staffing"]),
    }
    frames["irregular_arrivals"], frames["small_boat_asylum"] = _arrivals(rng["arrivals"], channel)
    return {table: _conform(table, frames[table]) for table in schema.TABLES}


def write(out_dir: Path) -> dict[str, Path]:
    """Write every demo table to out_dir/<table>.csv, byte-identical on every run."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for table, frame in build().items():
        columns = schema.columns(table, provenance=False)
        cells = [_text(frame[c.name], c.type) for c in columns]
        path = out_dir / f"{table}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow([c.name for c in columns])
            out.writerows(zip(*cells, strict=True))
        paths[table] = path
    return paths


def _text(values: pd.Series, type_: str) -> list[str]:
    """CSV text of one column: ISO dates, plain integers, rounded floats, JSON lists, NULL as ''."""
    if type_ == "DATE":
        return values.dt.strftime("%Y-%m-%d").fillna("").tolist()
    if type_ in ("INTEGER", "BIGINT"):
        return ["" if pd.isna(v) else str(int(v)) for v in values]
    if type_ == "DOUBLE":
        return ["" if pd.isna(v) else np.format_float_positional(v, precision=5, trim="0") for v in values]
    if type_.endswith("[]"):
        return ["" if v is None else json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in values]
    return ["" if pd.isna(v) else str(v) for v in values]


def _conform(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Stamp the demo source and give every column its schema dtype and order."""
    frame = frame.assign(source=DEMO_SOURCE)
    if table == "incidents":
        frame = frame.assign(source_url=None, source_quality=QUALITY, group_id=None)
    out = {}
    for c in schema.columns(table, provenance=False):
        col = frame[c.name]
        if c.type == "DATE":
            col = pd.to_datetime(col).astype("datetime64[s]")
        elif c.type in ("INTEGER", "BIGINT"):
            col = col.astype("Int64")
        elif c.type == "DOUBLE":
            col = col.astype("float64").round(5)
        elif c.type.endswith("[]"):
            col = col.astype(object)
        else:
            col = col.astype("str")
        out[c.name] = col.reset_index(drop=True)
    return pd.DataFrame(out)


# --- helpers ---------------------------------------------------------------------------------------


def _apportion(total: int, weights) -> np.ndarray:
    """Split an integer total in proportion to weights, keeping the exact sum (largest remainder)."""
    w = np.asarray(weights, dtype=float)
    quota = total * w / w.sum()
    counts = np.floor(quota).astype(np.int64)
    order = np.argsort(counts - quota, kind="stable")
    counts[order[: int(total - counts.sum())]] += 1
    return counts


def _split(rng: np.random.Generator, total: int, parts: int, shape: float) -> np.ndarray:
    """Split total into parts of at least 1 each; small shape means uneven parts."""
    weights = rng.gamma(shape, size=parts)
    return 1 + rng.multinomial(total - parts, weights / weights.sum())


def _pick(rng: np.random.Generator, options: dict[str, float], n: int) -> np.ndarray:
    """n weighted choices from a {value: weight} mapping."""
    keys = np.array(list(options), dtype=object)
    w = np.array(list(options.values()), dtype=float)
    return keys[rng.choice(len(keys), n, p=w / w.sum())]


def _sizes(rng: np.random.Generator, n: int, size: tuple[float, float, int]) -> np.ndarray:
    """People per incident: log-normal around a median, clipped to [1, max]."""
    median, sd, top = size
    return np.clip(np.round(median * rng.lognormal(0.0, sd, n)), 1, top).astype(np.int64)


def _year_months(year: int) -> np.ndarray:
    """The months of a year inside the demo period (datetime64[M])."""
    months = np.arange(np.datetime64(f"{year}-01"), np.datetime64(f"{year + 1}-01"))
    return months[months <= np.datetime64(DEMO_END, "M")]


def _dates(rng: np.random.Generator, year: int, n: int, season) -> np.ndarray:
    """n random days in a year, months weighted by season."""
    months = _year_months(year)
    w = np.asarray(season[: len(months)], dtype=float)
    m = rng.choice(len(months), n, p=w / w.sum())
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first[m] + np.floor(rng.random(n) * length[m]).astype(np.int64)


def _fy(month: pd.Timestamp) -> str:
    """UK financial year (April–March) of a month, written '2024-25'."""
    y = month.year if month.month >= 4 else month.year - 1
    return f"{y}-{(y + 1) % 100:02d}"


def _km_to_deg(lat: np.ndarray, north_km: np.ndarray, east_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets in km as (dlat, dlon) in degrees at the given latitudes."""
    return north_km / 110.57, east_km / (111.32 * np.cos(np.radians(lat)))


def _at_places(
    rng: np.random.Generator, places: tuple[Place, ...], n: int, off: bool = False, land_km: float = 1.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n points at weighted places: 0.4–2 km out to sea from coastal ones, scattered round land sites."""
    w = np.array([p.weight for p in places])
    i = rng.choice(len(places), n, p=w / w.sum())
    lat = np.array([p.lat for p in places])[i]
    lon = np.array([p.lon for p in places])[i]
    bearing = np.array([np.nan if p.seaward is None else p.seaward for p in places])[i]
    land = np.isnan(bearing)
    theta = np.radians(np.where(land, rng.uniform(0, 360, n), bearing))
    out = np.where(land, land_km * np.sqrt(rng.random(n)), rng.uniform(0.4, 2.0, n))
    along = np.where(land, 0.0, rng.uniform(-0.5, 0.5, n))
    dlat, dlon = _km_to_deg(
        lat, out * np.cos(theta) - along * np.sin(theta), out * np.sin(theta) + along * np.cos(theta)
    )
    labels = np.array([("Off " if off and p.seaward is not None else "") + p.label for p in places], dtype=object)
    return lat + dlat, lon + dlon, labels[i]


def _at_sea(
    rng: np.random.Generator, legs: tuple[Leg, ...], n: int, t_range: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n points along offshore legs, scattered either side of the track."""
    i = rng.integers(0, len(legs), n)
    a = np.array([leg.start for leg in legs])[i]
    b = np.array([leg.end for leg in legs])[i]
    jitter = np.array([leg.jitter_km for leg in legs])[i]
    t = rng.uniform(*t_range, n)
    lon = a[:, 0] + t * (b[:, 0] - a[:, 0])
    lat = a[:, 1] + t * (b[:, 1] - a[:, 1])
    east = (b[:, 0] - a[:, 0]) * 111.32 * np.cos(np.radians(lat))
    north = (b[:, 1] - a[:, 1]) * 110.57
    norm = np.hypot(east, north)
    side = rng.uniform(-1, 1, n) * jitter
    dlat, dlon = _km_to_deg(lat, side * east / norm, -side * north / norm)
    return lat + dlat, lon + dlon, np.array([leg.label for leg in legs], dtype=object)[i]


# --- English Channel -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Channel:
    frame: pd.DataFrame
    people: np.ndarray  # per day
    calm: np.ndarray  # per day
    boat_day: np.ndarray  # per boat: index into DAYS
    boat_people: np.ndarray  # per boat


def _channel_months(rng: np.random.Generator, year: int) -> tuple[np.ndarray, np.ndarray]:
    """People and boats by month: 2024's month shape with noise, exact annual totals."""
    people, boats = CHANNEL_YEARS[year]
    n = len(_year_months(year))
    if year == 2024:
        p = np.array(CHANNEL_2024_MONTHS, dtype=np.int64)
    else:
        p = _apportion(people, np.array(CHANNEL_2024_MONTHS[:n]) * rng.lognormal(0.0, 0.25, n))
    b = _apportion(boats, p * rng.lognormal(0.0, 0.12, n))
    # A month with people has at least one boat, and every boat carries someone.
    b = np.minimum(np.maximum(b, p > 0), p)
    while (gap := boats - b.sum()) != 0:
        if gap > 0:
            b[np.argmax(p - b)] += 1
        else:
            b[np.argmax(np.where(b > 1, b, 0))] -= 1
    return p, b


def _channel(rng: np.random.Generator) -> _Channel:
    """Daily Channel arrivals: boats land only on calm days; people split across each month's boats."""
    n = len(DAYS)
    month = DAYS.astype("datetime64[M]").astype(np.int64) % 12 + 1
    year = DAYS.astype("datetime64[Y]").astype(np.int64) + 1970
    # Weather: an AR(1) anomaly gives calm spells; calm days are the top share of each calendar month.
    shocks = rng.standard_normal(n)
    anomaly = np.empty(n)
    anomaly[0] = shocks[0]
    for i in range(1, n):
        anomaly[i] = 0.75 * anomaly[i - 1] + 0.66 * shocks[i]
    calm = anomaly > np.quantile(anomaly, 1 - np.array(CALM_SHARE))[month - 1]

    day_parts: list[np.ndarray] = []  # per month: each boat's day, then its people
    people_parts: list[np.ndarray] = []
    for y in YEARS:
        people_m, boats_m = _channel_months(rng, y)
        for m, (p, b) in enumerate(zip(people_m, boats_m, strict=True), start=1):
            days = np.flatnonzero((year == y) & (month == m))
            # Boats go on calm days, or on the least rough days of a stormy month.
            need = max(2, -(-b // 6)) - calm[days].sum()
            ok = np.sort(
                np.concatenate(
                    [
                        days[calm[days]],
                        days[~calm[days]][np.argsort(-anomaly[days][~calm[days]], kind="stable")[: max(0, need)]],
                    ]
                )
            )
            surge = rng.gamma(2.5, size=ok.size)  # some calm days carry many boats
            per_day = rng.multinomial(b, surge / surge.sum())
            day_parts.append(np.repeat(ok, per_day))
            people_parts.append(_split(rng, p, b, 6.0))
    boat_day = np.concatenate(day_parts)
    boat_people = np.concatenate(people_parts)
    people = np.bincount(boat_day, weights=boat_people, minlength=n).astype(np.int64)
    boats = np.bincount(boat_day, minlength=n)
    frame = pd.DataFrame({"date": DAYS, "route": CHANNEL, "people": people, "boats": boats, "status": "provisional"})
    return _Channel(frame, people, calm, boat_day, boat_people)


def _preventions(rng: np.random.Generator, ch: _Channel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Weekly French-reported preventions from May 2024, and one interception incident per event."""
    ends = np.arange(np.datetime64(PREVENTIONS_START), np.datetime64(DEMO_END) + 1, 7)
    last = np.searchsorted(DAYS, ends)
    week_days = last[:, None] + np.arange(-6, 1)
    arrived = ch.people[week_days].sum(axis=1)
    smooth = np.convolve(np.pad(arrived, 2, mode="edge"), np.ones(5) / 5, mode="valid")
    people = np.round((0.5 * arrived + 0.5 * smooth) * rng.uniform(0.3, 0.6, ends.size)).astype(np.int64)
    events = np.where(people > 0, np.maximum(1, np.round(people / (40 * rng.lognormal(0, 0.15, ends.size)))), 0).astype(
        np.int64
    )
    missing = np.zeros(ends.size, dtype=bool)
    missing[rng.choice(ends.size, 3, replace=False)] = True
    frame = pd.DataFrame(
        {
            "week_ending": ends,
            "route": CHANNEL,
            "people_prevented": pd.array(np.where(missing, np.nan, people), dtype="Int64"),
            "events_prevented": pd.array(np.where(missing, np.nan, events), dtype="Int64"),
        }
    )
    day_idx, sizes = [], []
    for w in np.flatnonzero(~missing & (events > 0)):
        weight = ch.calm[week_days[w]] + 0.15
        day_idx.append(rng.choice(week_days[w], events[w], p=weight / weight.sum()))
        sizes.append(_split(rng, people[w], events[w], 4.0))
    intercepts = pd.DataFrame({"day": np.concatenate(day_idx), "people": np.concatenate(sizes)})
    return frame, intercepts


# --- incidents -------------------------------------------------------------------------------------


def _rows(route: str, kind: str, dates, where, **counts) -> pd.DataFrame:
    """Incident rows of one kind on one route; counts are people, dead, missing, survivors, cause."""
    lat, lon, location = where
    n = len(lat)
    frame = pd.DataFrame(
        {
            "date": np.asarray(dates, dtype="datetime64[D]"),
            "lat": lat,
            "lon": lon,
            "region": REGION_OF[route],
            "route": route,
            "incident_type": kind,
        }
    )
    for col in ("people", "dead", "missing", "survivors"):
        frame[col] = pd.array(counts.get(col, np.full(n, np.nan)), dtype="Int64")
    frame["cause"] = counts.get("cause", np.full(n, None, dtype=object))
    frame["location"] = location
    return frame


def _dead_missing(rng: np.random.Generator, route: str, spec: Route, total: int, dates_of) -> pd.DataFrame:
    """Dead-or-missing incidents summing to an annual total, heavy-tailed in size."""
    k = max(1, round(total / spec.dm_mean))
    size = _split(rng, total, k, 0.5)
    share = np.clip(rng.normal(spec.missing_share, 0.2, k), 0, 1) * (spec.missing_share > 0)
    missing = rng.binomial(size, share)
    dead = size - missing
    known = rng.random(k) < (0.6 if spec.mode == "sea" else 0.2)
    survivors = np.where(known, np.round(size * rng.lognormal(0.5, 1.0, k) * rng.integers(0, 2, k)), np.nan)
    where: tuple[np.ndarray, ...]  # lat, lon, location
    if spec.mode == "land":
        where = _at_places(rng, spec.departures, k, land_km=3.0 if route != HGV else 0.5)
    else:
        coast = rng.random(k) < (0.5 if route == CHANNEL else 0.25)
        sea = _at_sea(rng, spec.legs, k, (0.1, 0.9))
        shore = _at_places(rng, spec.departures, k, off=True)
        where = tuple(np.where(coast, s, x) for s, x in zip(shore, sea, strict=True))
    return _rows(
        route,
        "dead or missing",
        dates_of(k),
        where,
        people=survivors + size,
        dead=dead,
        missing=missing,
        survivors=survivors,
        cause=_pick(rng, spec.causes, k),
    )


def _channel_incidents(rng: np.random.Generator, ch: _Channel, intercepts: pd.DataFrame) -> list[pd.DataFrame]:
    """Channel incidents: an arrival per boat, some launches and rescues, interceptions, deaths."""
    spec = ROUTE_SPECS[CHANNEL]
    nb = ch.boat_day.size
    out = [_rows(CHANNEL, "arrival", DAYS[ch.boat_day], _at_places(rng, spec.arrivals, nb), people=ch.boat_people)]
    launched = np.flatnonzero(rng.random(nb) < 0.25)
    out.append(
        _rows(
            CHANNEL,
            "launch",
            DAYS[ch.boat_day[launched]],
            _at_places(rng, spec.departures, launched.size),
            people=ch.boat_people[launched],
        )
    )
    rescued = np.flatnonzero(rng.random(nb) < 0.12)
    out.append(
        _rows(
            CHANNEL,
            "rescue",
            DAYS[ch.boat_day[rescued]],
            _at_sea(rng, spec.legs, rescued.size, (0.25, 0.9)),
            people=ch.boat_people[rescued],
            survivors=ch.boat_people[rescued],
            cause=_pick(rng, dict.fromkeys(RESCUE_REASONS, 1.0), rescued.size),
        )
    )
    year = DAYS.astype("datetime64[Y]").astype(np.int64) + 1970
    early = np.datetime64(PREVENTIONS_START) - 6
    for y, n in CHANNEL_EARLY_INTERCEPTIONS.items():
        days = np.flatnonzero((year == y) & ch.calm & (DAYS < early))
        day = rng.choice(days, n)
        per_boat = CHANNEL_YEARS[y][0] / CHANNEL_YEARS[y][1]
        people = _sizes(rng, n, (per_boat, 0.4, 110))
        out.append(_rows(CHANNEL, "interception", DAYS[day], _at_places(rng, spec.departures, n), people=people))
    out.append(
        _rows(
            CHANNEL,
            "interception",
            DAYS[intercepts["day"].to_numpy()],
            _at_places(rng, spec.departures, len(intercepts)),
            people=intercepts["people"].to_numpy(),
        )
    )
    for y, total in zip(YEARS, CHANNEL_DEAD_MISSING, strict=True):
        crossing_days = np.flatnonzero((year == y) & (ch.people > 0))
        out.append(_dead_missing(rng, CHANNEL, spec, total, lambda k, d=crossing_days: DAYS[rng.choice(d, k)]))
    return out


def _route_incidents(rng: np.random.Generator, route: str, spec: Route) -> list[pd.DataFrame]:
    """Incidents on a non-Channel route: counts track its yearly volume, places its geography."""
    out = []
    for y, volume, dm in zip(YEARS, spec.volume, spec.dead_missing, strict=True):
        counts = rng.multinomial(rng.poisson(volume * spec.rate / 1000), list(spec.mix.values()))
        for kind, n in zip(spec.mix, counts, strict=True):
            if n == 0:
                continue
            dates = _dates(rng, y, n, spec.season)
            people = _sizes(rng, n, spec.size)
            extra = {}
            if spec.mode == "land":
                where = _at_places(rng, spec.departures, n, land_km=3.0 if route != HGV else 0.5)
            elif kind == "launch":
                where = _at_places(rng, spec.departures, n)
            elif kind == "arrival":
                where = _at_places(rng, spec.arrivals, n)
            elif kind == "interception":
                where = _at_sea(rng, spec.legs, n, (0.03, 0.3))
            else:
                where = _at_sea(rng, spec.legs, n, (0.2, 0.95))
                extra = {"survivors": people, "cause": _pick(rng, dict.fromkeys(RESCUE_REASONS, 1.0), n)}
            out.append(_rows(route, kind, dates, where, people=people, **extra))
        out.append(_dead_missing(rng, route, spec, dm, lambda k, y=y: _dates(rng, y, k, spec.season)))
    return out


def _incidents(rng: np.random.Generator, ch: _Channel, intercepts: pd.DataFrame) -> pd.DataFrame:
    """All incidents, ordered by date then route, with ids DEMO-INC-000001…"""
    parts = _channel_incidents(rng, ch, intercepts)
    for route, spec in ROUTE_SPECS.items():
        if route != CHANNEL:
            parts.extend(_route_incidents(rng, route, spec))
    frame = pd.concat(parts, ignore_index=True)
    route_order = frame["route"].map({r: i for i, r in enumerate(schema.ROUTES)})
    frame = frame.iloc[np.lexsort((route_order.to_numpy(), frame["date"].to_numpy()))].reset_index(drop=True)
    frame.insert(0, "incident_id", [f"DEMO-INC-{i:06d}" for i in range(1, len(frame) + 1)])
    return frame


# --- flows, routes, regions ------------------------------------------------------------------------


def _mix(rng: np.random.Generator, route: str, year: int) -> np.ndarray:
    """A route's nationality shares in a year: its base mix, trends, and some noise."""
    base = ROUTE_SPECS[route].nationalities
    w = np.array([share * NATIONALITY_TRENDS.get((route, nat), {}).get(year, 1.0) for nat, share in base.items()])
    return rng.dirichlet(80 * w / w.sum())


def _route_flows(rng: np.random.Generator, ch: _Channel) -> pd.DataFrame:
    """Monthly detections by route and nationality; all-route annual totals hit FLOW_TOTALS exactly."""
    month0 = DAYS[0].astype("datetime64[M]")
    by_month = np.bincount((DAYS.astype("datetime64[M]") - month0).astype(np.int64), weights=ch.people)
    rows: list[tuple[np.datetime64, str, str, int]] = []
    for y in YEARS:
        months = _year_months(y)
        fixed = 0
        cells: list[tuple[str, np.datetime64, str, float]] = []  # (route, month, nationality, expected)
        for route, spec in ROUTE_SPECS.items():
            nats = list(spec.nationalities)
            if route == CHANNEL:
                for m in months:
                    counts = rng.multinomial(int(by_month[(m - month0).astype(np.int64)]), _mix(rng, route, y))
                    rows.extend((m, route, nat, int(c)) for nat, c in zip(nats, counts, strict=True))
                    fixed += int(counts.sum())
                continue
            season = np.array(spec.season[: months.size]) * rng.lognormal(0, 0.15, months.size)
            expected = np.outer(season / season.sum(), _mix(rng, route, y)) * spec.volume[YEARS.index(y)]
            if route == HGV:
                counts = _apportion(spec.volume[YEARS.index(y)], expected.ravel()).reshape(expected.shape)
                rows.extend(
                    (m, route, nat, int(c))
                    for m, row in zip(months, counts, strict=True)
                    for nat, c in zip(nats, row, strict=True)
                )
                fixed += spec.volume[YEARS.index(y)]
                continue
            cells.extend(
                (route, m, nat, e)
                for m, row in zip(months, expected, strict=True)
                for nat, e in zip(nats, row, strict=True)
            )
        counts = _apportion(FLOW_TOTALS[y] - fixed, [c[3] for c in cells])
        rows.extend((m, route, nat, int(c)) for (route, m, nat, _), c in zip(cells, counts, strict=True))
    frame = pd.DataFrame(rows, columns=["month", "route", "nationality", "detections"])
    frame["month"] = frame["month"].astype("datetime64[s]")
    order = {r: i for i, r in enumerate(schema.ROUTES)}
    return frame.sort_values(
        ["month", "route"], key=lambda s: s.map(order) if s.name == "route" else s, kind="stable"
    ).reset_index(drop=True)


def _arrivals(rng: np.random.Generator, ch: _Channel) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quarterly irregular arrivals by method, nationality, sex and age, and the asylum applications of the
    small-boat arrivals. Small-boat arrivals follow the daily series within about 1% (a different extraction
    date, as the Home Office's own two series differ)."""
    quarters = pd.period_range(DEMO_START, ARRIVALS_END, freq="Q")
    day_quarter = pd.PeriodIndex(pd.DatetimeIndex(DAYS), freq="Q")
    boats_by_q = pd.Series(ch.people, index=day_quarter).groupby(level=0).sum()
    arrivals: list[tuple[object, ...]] = []
    asylum: list[tuple[object, ...]] = []
    sexes, ages = list(SEXES), list(AGE_GROUPS)
    cell_w = np.outer(list(SEXES.values()), list(AGE_GROUPS.values())).ravel()
    for q in quarters:
        start = q.start_time.date()
        year_i = YEARS.index(q.year)
        methods: dict[str, tuple[int, dict[str, float]]] = {
            SMALL_BOATS: (
                int(round(boats_by_q.get(q, 0) * rng.uniform(0.99, 1.01))),
                {**ROUTE_SPECS[CHANNEL].nationalities},
            )
        }
        for method, years in OTHER_METHODS.items():
            methods[method] = (int(round(years[year_i] / 4 * rng.lognormal(0, 0.12))), OTHER_NATIONALITIES)
        for method, (total, mix) in methods.items():
            nats = list(mix)
            trend = [mix[n] * NATIONALITY_TRENDS.get((CHANNEL, n), {}).get(q.year, 1.0) for n in nats]
            per_nat = rng.multinomial(total, rng.dirichlet(60 * np.asarray(trend) / sum(trend)))
            for nat, n_nat in zip(nats, per_nat, strict=True):
                cells = rng.multinomial(int(n_nat), cell_w / cell_w.sum()).reshape(len(sexes), len(ages))
                for i, sex in enumerate(sexes):
                    for j, age in enumerate(ages):
                        n = int(cells[i, j])
                        if n == 0:
                            continue
                        name, region = name_of(nat) or nat, NATIONALITY_REGION[nat]
                        arrivals.append((start, method, name, region, sex, age, n))
                        if method != SMALL_BOATS:
                            continue
                        raised = int(rng.binomial(n, 0.94))
                        dependants = int(rng.binomial(raised, 0.08))
                        child = age == "Under 18"
                        for kind, uasc, k in (
                            ("Main applicant", "UASC" if child else "Non-UASC", raised - dependants),
                            ("Dependant", "Non-UASC", dependants),
                        ):
                            if k:
                                asylum.append(
                                    (start, "Asylum application raised", name, region, kind, uasc, sex, age, k)
                                )
                        if n - raised:
                            asylum.append(
                                (start, "No asylum application raised", name, region, "Not applicable",
                                 "Not applicable", sex, age, n - raised)
                            )  # fmt: skip
    a = pd.DataFrame(
        arrivals,
        columns=["quarter_start", "method", "nationality", "nationality_region", "sex", "age_group", "detections"],
    )
    b = pd.DataFrame(
        asylum,
        columns=["quarter_start", "application", "nationality", "nationality_region", "applicant_type", "uasc", "sex",
                 "age_group", "applications"],
    )  # fmt: skip
    return a, b


def _routes() -> pd.DataFrame:
    """The eight routes with their corridors as [lon, lat] waypoints."""
    return pd.DataFrame(
        [
            {
                "route": route,
                "region": REGION_OF[route],
                "mode": ROUTE_SPECS[route].mode,
                "path": [[lon, lat] for lon, lat in ROUTE_SPECS[route].path],
                "description": ROUTE_SPECS[route].description,
            }
            for route in schema.ROUTES
        ]
    )


def _regions() -> pd.DataFrame:
    """The four regions: map view and the source labels that map onto each."""
    return pd.DataFrame(
        [
            {
                "region": region,
                "description": info["description"],
                "center_lat": info["center"][0],
                "center_lon": info["center"][1],
                "zoom": info["center"][2],
                "iom_labels": info["iom"],
                "frontex_labels": info["frontex"],
                "home_office_labels": info["home_office"],
            }
            for region, info in ((r, REGION_INFO[r]) for r in REGIONS)
        ]
    )


# --- operations, funding, staffing -----------------------------------------------------------------


def _operations(rng: np.random.Generator) -> pd.DataFrame:
    """Fictional operations with outcomes scaled to the public NCA/BSC record."""
    n = N_OPERATIONS
    combos = rng.choice(len(NAME_FIRST) * len(NAME_SECOND), n, replace=False)
    names = [f"Operation {NAME_FIRST[c // len(NAME_SECOND)]} {NAME_SECOND[c % len(NAME_SECOND)]}" for c in combos]
    regions = list(OP_REGIONS)
    region = np.array(regions)[rng.choice(len(regions), n, p=[OP_REGIONS[r][0] for r in regions])]
    years = np.array(YEARS)[rng.choice(len(YEARS), n, p=np.array(OP_START_YEARS) / sum(OP_START_YEARS))]
    first = pd.to_datetime([f"{y}-01-01" for y in years])
    span = np.where(years == DEMO_END.year, 270, 365)
    start = first + pd.to_timedelta(rng.integers(0, span), unit="D")
    duration = pd.to_timedelta(np.clip(rng.lognormal(np.log(270), 0.6, n), 60, 1100).astype(int), unit="D")
    end = start + duration
    demo_end = pd.Timestamp(DEMO_END)
    active = (end > demo_end) & (start >= pd.Timestamp("2025-01-01"))
    # Long operations that began before 2025 have since concluded.
    end = end.where(~(end > demo_end) | active, demo_end - pd.to_timedelta(rng.integers(1, 120, n), unit="D"))
    status = np.where(active, "active", np.where(rng.random(n) < 0.07, "suspended", "concluded"))
    months = ((end.where(~active, demo_end) - start).days / 30.44).to_numpy()

    rows = []
    for i in range(n):
        leads, pool, hubs = OP_REGIONS[region[i]][1:]
        bsc_exists = start[i].date() >= BSC_FROM
        lead = _pick(rng, {a: w for a, w in leads.items() if bsc_exists or a != "BSC"}, 1)[0]
        # Partners exclude the lead (and Europol when it leads a JIT), and the BSC before it existed.
        options = [p for p in pool if not lead.startswith(p) and (bsc_exists or p != "BSC")]
        partners = [options[j] for j in sorted(rng.choice(len(options), rng.integers(1, 5), replace=False))]
        route = None if rng.random() < 0.1 else _pick(rng, OP_ROUTES[region[i]], 1)[0]
        mode = "land" if route in (HGV, "Western Balkans", "Eastern Borders") else "sea"
        lat, lon = hubs[rng.integers(len(hubs))]
        kind = "joint investigation" if lead == "Europol (JIT)" else rng.choice(["investigation", "operation"])
        where = f"the {route} route" if route else f"routes across the {region[i]} region"
        arrests = rng.poisson(months[i] * (1.4 if lead in ("NCA", "Europol (JIT)") else 0.9)) + 1
        charges = rng.binomial(arrests, 0.6)
        rows.append(
            {
                "name": names[i],
                "lead_agency": lead,
                "partners": "; ".join(partners),
                "region": region[i],
                "route": route,
                "start_date": start[i],
                "end_date": None if active[i] else end[i],
                "status": status[i],
                "arrests": arrests,
                "charges": charges,
                "convictions": rng.binomial(charges, 0.7 if status[i] == "concluded" else 0.25),
                "seizures_gbp": None
                if rng.random() < 0.08
                else int(round(rng.lognormal(np.log(150_000), 1.1) * np.sqrt(months[i]) / 1.5, -3)),
                "boats_engines_seized": None
                if mode == "land"
                else rng.poisson(months[i] * (0.3 if region[i] != "UK & Channel" else 0.6 if years[i] < 2023 else 2.0)),
                "networks_disrupted": rng.poisson(months[i] * (0.45 if lead == "NCA" else 0.3)),
                "lat": lat + rng.uniform(-0.03, 0.03),
                "lon": lon + rng.uniform(-0.03, 0.03),
                "description": f"Fictional {lead}-led {kind} into a network "
                f"{rng.choice(OP_ACTIVITIES[mode])} on {where}.",
            }
        )
    frame = pd.DataFrame(rows).sort_values(["start_date", "name"], kind="stable").reset_index(drop=True)
    _calibrate_outcomes(rng, frame)
    frame.insert(0, "operation_id", [f"OP-{i:04d}" for i in range(1, len(frame) + 1)])
    return frame


def _calibrate_outcomes(rng: np.random.Generator, ops: pd.DataFrame) -> None:
    """Scale the outcomes that have public totals: FY 2024-25 disruptions, boats/engines to Aug 2024."""
    starts = ops["start_date"].dt.date
    fy = (starts >= FY_2024_25[0]) & (starts <= FY_2024_25[1])
    nca = np.where(ops.loc[fy, "lead_agency"] == "NCA", 3, 1)  # the NCA reports most disruptions
    weight = ops.loc[fy, "networks_disrupted"] + nca * rng.gamma(2.0, size=fy.sum())
    ops.loc[fy, "networks_disrupted"] = _apportion(NETWORKS_DISRUPTED_FY_2024_25, weight)
    window = (
        (starts >= BOATS_ENGINES_WINDOW[0])
        & (starts <= BOATS_ENGINES_WINDOW[1])
        & (ops["region"] == "UK & Channel")
        & (ops["route"] != HGV)
    )
    weight = ops.loc[window, "boats_engines_seized"].astype(float) + rng.gamma(2.0, size=window.sum())
    ops.loc[window, "boats_engines_seized"] = _apportion(BOATS_ENGINES_BY_AUG_2024, weight)


def _funding(rng: np.random.Generator) -> pd.DataFrame:
    """Monthly allocations (exact programme totals, in £1,000s) and spend to October 2026."""
    months = FUNDING_MONTHS
    spend_to = pd.Timestamp(DEMO_END).to_period("M").to_timestamp()
    rows = []
    for programme, (lines, windows) in FUNDING.items():
        alloc = np.zeros((len(lines), len(months)), dtype=np.int64)
        for first, last, total, shares in windows:
            inside = (months >= pd.Timestamp(first)) & (months <= pd.Timestamp(last))
            ramp = np.linspace(0.7, 1.3, inside.sum())
            for j, amount in enumerate(_apportion(total // 1000, shares)):
                alloc[j, inside] += _apportion(amount, ramp * rng.uniform(0.9, 1.1, ramp.size)) * 1000
        for j, (line, category) in enumerate(lines):
            began = int(np.argmax(alloc[j] > 0))
            for k, month in enumerate(months):
                spent = None
                if month <= spend_to:
                    # Under-spend early in a programme, catching up over about 15 months.
                    ratio = np.clip(0.8 + 0.18 * min(1, max(0, k - began) / 15) + rng.uniform(-0.02, 0.02), 0.8, 1.0)
                    spent = int(round(alloc[j, k] * ratio, -3))
                rows.append(
                    {
                        "programme": programme,
                        "funding_line": line,
                        "category": category,
                        "financial_year": _fy(month),
                        "month": month,
                        "allocated_gbp": alloc[j, k],
                        "spent_gbp": spent,
                    }
                )
    return pd.DataFrame(rows)


def _ramp(months: pd.DatetimeIndex, first: str, last: str) -> np.ndarray:
    """S-curve from 0 at `first` to 1 at `last`."""
    span = (pd.Timestamp(last) - pd.Timestamp(first)).days
    t = np.clip(np.asarray((months - pd.Timestamp(first)).days, dtype=float) / span, 0, 1)
    return t * t * (3 - 2 * t)


def _staffing(rng: np.random.Generator) -> pd.DataFrame:
    """Planned headcount ramps (BSC 300, NCA 100 then +300) and in-post lagging the plan."""
    months = FUNDING_MONTHS
    known = months <= pd.Timestamp(DEMO_END)
    lag = 3
    frames = []
    for org, unit, role, first_wave, uplift in STAFF_POSTS:
        planned = np.round(
            first_wave * _ramp(months, *STAFF_RAMPS[org]) + uplift * _ramp(months, *STAFF_RAMPS["uplift"])
        ).astype(np.int64)
        fill = np.linspace(0.85, 0.97, len(months)) * rng.uniform(0.97, 1.0, len(months))
        lagged = np.concatenate([np.zeros(lag, dtype=np.int64), planned[:-lag]])
        in_post = np.minimum(np.maximum.accumulate(np.floor(lagged * fill)), planned)
        frames.append(
            pd.DataFrame(
                {
                    "organisation": org,
                    "unit": unit,
                    "role": role,
                    "month": months,
                    "planned_headcount": planned,
                    "in_post_headcount": pd.array(np.where(known, in_post, np.nan), dtype="Int64"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
