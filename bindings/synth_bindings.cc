// The synthetic world generator.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings/numpy.h"
#include "bindings/status_conversion.h"
#include "invitegraph/synth.h"

namespace invitegraph::py_bindings {

namespace py = pybind11;

void InitSynth(py::module_& m) {
  m.def(
      "synth_generate",
      [](int64_t n_users, uint64_t seed, double avg_friends, int n_communities,
         int n_categories, int64_t n_items, double interactions_per_friend,
         double purchases_per_user, double campaigns_per_user, int64_t start,
         double days, int num_threads, py::object progress) {
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
        return d;
      },
      py::arg("n_users"), py::arg("seed") = 0, py::kw_only(),
      py::arg("avg_friends") = 25.0, py::arg("n_communities") = 0,
      py::arg("n_categories") = 20, py::arg("n_items") = 0,
      py::arg("interactions_per_friend") = 2.0,
      py::arg("purchases_per_user") = 5.0, py::arg("campaigns_per_user") = 0.1,
      py::arg("start") = 1'700'000'000, py::arg("days") = 180.0,
      py::arg("num_threads") = 0, py::arg("progress") = py::none(),
      "Raw columns of a synthetic world; use invitegraph.synth.generate for "
      "DataFrames.");
}

}  // namespace invitegraph::py_bindings
