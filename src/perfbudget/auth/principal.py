"""The principal lives in the core (``perfbudget.principal``); auth names it too."""

from perfbudget.principal import Actor as Actor
from perfbudget.principal import RequestMeta as RequestMeta
