// The synthetic world generator.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "bindings/numpy.h"
#include "bindings/status_conversion.h"
#include "invitegraph/synth.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;

namespace {

template <typename T>
void SetField(const std::string& key, py::handle value, T& field) {
  try {
    field = value.cast<T>();
  } catch (const py::cast_error&) {
    Raise(
        ErrorClass::kArgumentType,
        absl::StrCat(
            "abuse['", key, "']: expected ",
            std::is_floating_point_v<T> ? "a number" : "an integer", ", got ",
            std::string(py::str(py::type::handle_of(value).attr("__name__")))));
  }
}

// Fills `a` from a mapping of synth::Abuse field names to values (None: leaves
// the defaults). An unknown key is a ValueError that names it and lists the
// valid ones; range checks are left to synth::Generate.
synth::Abuse AbuseFrom(const py::object& mapping) {
  synth::Abuse a;
  if (mapping.is_none()) return a;
  const char* const valid =
      "ring_prevalence, ring_size_min, ring_size_max, ring_assists_per_pair, "
      "ring_camouflage_friends, ring_purchase_share, lockstep_prevalence, "
      "lockstep_group_min, lockstep_group_max, lockstep_targets_min, "
      "lockstep_targets_max, lockstep_window_seconds, fresh_days";
  for (const auto& [k, value] : py::dict(mapping)) {
    const std::string key = py::str(k);
    if (key == "ring_prevalence") {
      SetField(key, value, a.ring_prevalence);
    } else if (key == "ring_size_min") {
      SetField(key, value, a.ring_size_min);
    } else if (key == "ring_size_max") {
      SetField(key, value, a.ring_size_max);
    } else if (key == "ring_assists_per_pair") {
      SetField(key, value, a.ring_assists_per_pair);
    } else if (key == "ring_camouflage_friends") {
      SetField(key, value, a.ring_camouflage_friends);
    } else if (key == "ring_purchase_share") {
      SetField(key, value, a.ring_purchase_share);
    } else if (key == "lockstep_prevalence") {
      SetField(key, value, a.lockstep_prevalence);
    } else if (key == "lockstep_group_min") {
      SetField(key, value, a.lockstep_group_min);
    } else if (key == "lockstep_group_max") {
      SetField(key, value, a.lockstep_group_max);
    } else if (key == "lockstep_targets_min") {
      SetField(key, value, a.lockstep_targets_min);
    } else if (key == "lockstep_targets_max") {
      SetField(key, value, a.lockstep_targets_max);
    } else if (key == "lockstep_window_seconds") {
      SetField(key, value, a.lockstep_window_seconds);
    } else if (key == "fresh_days") {
      SetField(key, value, a.fresh_days);
    } else {
      Raise(ErrorClass::kInvalidArgument,
            absl::StrCat("unknown abuse key '", key, "'; valid keys: ", valid));
    }
  }
  return a;
}

}  // namespace

void InitSynth(py::module_& m) {
  m.def(
      "synth_generate",
      [](int64_t n_users, uint64_t seed, double avg_friends, int n_communities,
         int n_categories, int64_t n_items, double interactions_per_friend,
         double purchases_per_user, double campaigns_per_user, int64_t start,
         double days, int num_threads, py::object progress, py::object abuse,
         bool participations_in_purchases) {
        synth::Options o;
        o.n_users = n_users;
        o.seed = seed;
        o.avg_friends = avg_friends;
        o.n_communities = n_communities;
        o.n_categories = n_categories;
        o.n_items = n_items;
        o.interactions_per_friend = interactions_per_friend;
        o.purchases_per_user = purchases_per_user;
        o.campaigns_per_user = campaigns_per_user;
        o.start = start;
        o.days = days;
        o.num_threads = num_threads;
        o.progress = WrapProgress(progress);
        o.abuse = AbuseFrom(abuse);
        o.participations_in_purchases = participations_in_purchases;
        absl::StatusOr<synth::World> w = absl::UnknownError("");
        {
          py::gil_scoped_release nogil;
          w = synth::Generate(o);
        }
        synth::World x = ValueOrThrow(std::move(w));
        std::vector<uint8_t> kind(x.inter_kind.size());
        for (size_t i = 0; i < kind.size(); ++i)
          kind[i] = static_cast<uint8_t>(x.inter_kind[i]);
        py::dict d;
        d["friend_src"] = ToNumpy(std::move(x.friend_src));
        d["friend_dst"] = ToNumpy(std::move(x.friend_dst));
        d["friend_tie"] = ToNumpy(std::move(x.friend_tie));
        d["inter_src"] = ToNumpy(std::move(x.inter_src));
        d["inter_dst"] = ToNumpy(std::move(x.inter_dst));
        d["inter_kind"] = ToNumpy(std::move(kind));
        d["inter_ts"] = ToNumpy(std::move(x.inter_ts));
        d["purchase_user"] = ToNumpy(std::move(x.purchase_user));
        d["purchase_item"] = ToNumpy(std::move(x.purchase_item));
        d["purchase_category"] = ToNumpy(std::move(x.purchase_category));
        d["purchase_amount"] = ToNumpy(std::move(x.purchase_amount));
        d["purchase_ts"] = ToNumpy(std::move(x.purchase_ts));
        d["campaign_inviter"] = ToNumpy(std::move(x.campaign_inviter));
        d["campaign_item"] = ToNumpy(std::move(x.campaign_item));
        d["campaign_category"] = ToNumpy(std::move(x.campaign_category));
        d["campaign_ts"] = ToNumpy(std::move(x.campaign_ts));
        d["joined_offsets"] = ToNumpy(std::move(x.joined_offsets));
        d["joined"] = ToNumpy(std::move(x.joined));
        d["invited_offsets"] = ToNumpy(std::move(x.invited_offsets));
        d["invited"] = ToNumpy(std::move(x.invited));
        d["invited_join_prob"] = ToNumpy(std::move(x.invited_join_prob));
        d["user_community"] = ToNumpy(std::move(x.user_community));
        d["user_responsiveness"] = ToNumpy(std::move(x.user_responsiveness));
        d["user_activity"] = ToNumpy(std::move(x.user_activity));
        d["item_category"] = ToNumpy(std::move(x.item_category));
        d["user_interest"] = ToNumpy(std::move(x.user_interest));
        d["n_categories"] = x.n_categories;
        d["user_abuse"] = ToNumpy(std::move(x.user_abuse));
        d["user_abuse_group"] = ToNumpy(std::move(x.user_abuse_group));
        d["ring_beneficiary"] = ToNumpy(std::move(x.ring_beneficiary));
        d["lockstep_target_offsets"] =
            ToNumpy(std::move(x.lockstep_target_offsets));
        d["lockstep_targets"] = ToNumpy(std::move(x.lockstep_targets));
        return d;
      },
      py::arg("n_users"), py::arg("seed") = 0, py::kw_only(),
      py::arg("avg_friends") = 25.0, py::arg("n_communities") = 0,
      py::arg("n_categories") = 20, py::arg("n_items") = 0,
      py::arg("interactions_per_friend") = 2.0,
      py::arg("purchases_per_user") = 5.0, py::arg("campaigns_per_user") = 0.1,
      py::arg("start") = 1'700'000'000, py::arg("days") = 180.0,
      py::arg("num_threads") = 0, py::arg("progress") = py::none(),
      py::arg("abuse") = py::none(),
      py::arg("participations_in_purchases") = false,
      "Raw columns of a synthetic world; use invitegraph.synth.generate for "
      "DataFrames. `abuse` maps synth::Abuse field names to values.");
}

}  // namespace invitegraph::py_bindings
